package dev.dexpace.tokencache.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dexpace.tokencache.benchmarks.ExpiryLatencyScenario.Latencies;
import dev.dexpace.tokencache.benchmarks.ExpiryLatencyScenario.Percentiles;
import dev.dexpace.tokencache.benchmarks.TokenRequestScenarios.Counts;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every comparison with stock Spring Security in one go and prints a Markdown
 * report: the hit path (JMH, 1 and 2 threads, with allocation), one RestClient call (JMH),
 * token requests per cold start and rollover, and call latency across token expiries.
 * <p>
 * {@code java -cp benchmarks/target/benchmarks.jar dev.dexpace.tokencache.benchmarks.BenchmarkReport}
 * prints the report; progress goes to standard error. Name sections ({@code hit},
 * {@code call}, {@code requests}, {@code latency}) to run only those.
 */
public final class BenchmarkReport {

	private BenchmarkReport() {
	}

	/**
	 * Print the report.
	 * @param args the sections to run ({@code hit}, {@code call}, {@code requests},
	 * {@code latency}); all when none is given
	 * @throws RunnerException if JMH fails
	 * @throws IOException if the machine description cannot be read
	 */
	public static void main(String[] args) throws RunnerException, IOException {
		List<String> sections = (args.length > 0) ? List.of(args) : List.of("hit", "call", "requests", "latency");
		StringBuilder report = new StringBuilder();
		report.append("# Benchmarks\n\n").append(machine()).append('\n');
		if (sections.contains("hit")) {
			report.append(hitPath());
		}
		if (sections.contains("call")) {
			report.append(restClientCall());
		}
		if (sections.contains("requests")) {
			report.append(tokenRequests());
		}
		if (sections.contains("latency")) {
			report.append(latency());
		}
		System.out.print(report);
	}

	private static String hitPath() throws RunnerException {
		progress("hit path (JMH, 1 and 2 threads, -prof gc)");
		StringBuilder table = new StringBuilder("## Warm hit: `authorize()` of a cached client_credentials token\n\n")
			.append("JMH average time, `-prof gc` for bytes per call; the floor is a bare Caffeine lookup of a ")
			.append("prebuilt key and an expiry check. Parts of a dexpace hit, measured alongside: the ")
			.append("in-memory cache's `get` alone, and one clock read (the floor, the cache's expiry check and ")
			.append("the refresh-ahead check each read the clock once).\n\n")
			.append("| threads | dexpace ns/op | stock ns/op | floor ns/op | dexpace B/op | stock B/op | ")
			.append("stock ÷ dexpace | dexpace ÷ floor | cache get ns/op | clock read ns/op |\n")
			.append("|---|---|---|---|---|---|---|---|---|---|\n");
		for (int threads : List.of(1, 2)) {
			Map<String, double[]> results = jmh(HitPathBenchmark.class, threads);
			double[] ours = results.get("tokenCacheHit");
			double[] stock = results.get("stockSpringSecurityHit");
			double[] floor = results.get("floorCaffeineLookup");
			double[] cacheGet = results.get("inMemoryCacheGet");
			double[] clock = results.get("clockRead");
			table.append(String.format(Locale.ROOT,
					"| %d | %.1f | %.1f | %.1f | %.0f | %.0f | %.2f× | %.2f× | %.1f | %.1f |%n", threads, ours[0],
					stock[0], floor[0], ours[1], stock[1], stock[0] / ours[0], ours[0] / floor[0], cacheGet[0],
					clock[0]));
		}
		return table.append('\n').toString();
	}

	private static String restClientCall() throws RunnerException {
		progress("RestClient call (JMH)");
		Map<String, double[]> results = jmh(RestClientCallBenchmark.class, 1);
		double[] ours = results.get("tokenCacheCall");
		double[] stock = results.get("stockSpringSecurityCall");
		return new StringBuilder("## One RestClient call with a cached token, API on loopback\n\n")
			.append("| | µs/op | B/op |\n|---|---|---|\n")
			.append(String.format(Locale.ROOT, "| dexpace interceptor | %.1f | %.0f |%n", ours[0], ours[1]))
			.append(String.format(Locale.ROOT, "| Spring Security `OAuth2ClientHttpRequestInterceptor` | %.1f | %.0f |%n",
					stock[0], stock[1]))
			.append(String.format(Locale.ROOT, "%nStock ÷ dexpace: %.2f×.%n%n", stock[0] / ours[0]))
			.toString();
	}

	private static String tokenRequests() {
		StringBuilder table = new StringBuilder("## Token requests for one key\n\n")
			.append("N threads that need the same token start together on an empty cache (cold start), then ")
			.append("again once it has expired (rollover); one application principal on both sides.\n\n")
			.append("| threads | dexpace cold start | stock cold start | dexpace rollover | stock rollover |\n")
			.append("|---|---|---|---|---|\n");
		for (int threads : List.of(1, 8, 64)) {
			progress("token requests, " + threads + " threads");
			Counts counts = TokenRequestScenarios.run(threads);
			table.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d |%n", threads,
					counts.tokenCache().coldStart(), counts.stock().coldStart(), counts.tokenCache().rollover(),
					counts.stock().rollover()));
		}
		return table.append('\n').toString();
	}

	private static String latency() {
		progress("latency across expiries (about 50 s)");
		Latencies latencies = ExpiryLatencyScenario.run();
		return new StringBuilder("## Call latency across token expiries\n\n")
			.append(String.format(Locale.ROOT,
					"%d threads call an API on loopback for %d s while %d s tokens expire and the identity "
							+ "provider takes %d ms to answer. dexpace runs with refresh-ahead 2s; the warm row "
							+ "is dexpace with a token that never expires. A call of 200 ms or more waited for "
							+ "a token request.%n%n",
					ExpiryLatencyScenario.THREADS, ExpiryLatencyScenario.RUN.toSeconds(),
					ExpiryLatencyScenario.TOKEN_LIFETIME.toSeconds(), ExpiryLatencyScenario.IDP_DELAY.toMillis()))
			.append("| | calls | p50 µs | p99 µs | p99.9 µs | max ms | calls ≥ 200 ms | token requests |\n")
			.append("|---|---|---|---|---|---|---|---|\n")
			.append(row("dexpace, warm hit", latencies.warm(), "-"))
			.append(row("dexpace, across expiries", latencies.tokenCache(),
					String.valueOf(latencies.tokenCacheRequests())))
			.append(row("stock, across expiries", latencies.stock(), String.valueOf(latencies.stockRequests())))
			.append(String.format(Locale.ROOT,
					"%np99 across expiries ÷ p99 of a warm hit: dexpace %.2f×, stock %.2f×. "
							+ "Max across expiries ÷ p99 of a warm hit: dexpace %.1f×, stock %.1f×.%n",
					(double) latencies.tokenCache().p99() / latencies.warm().p99(),
					(double) latencies.stock().p99() / latencies.warm().p99(),
					(double) latencies.tokenCache().max() / latencies.warm().p99(),
					(double) latencies.stock().max() / latencies.warm().p99()))
			.toString();
	}

	private static String row(String name, Percentiles percentiles, String requests) {
		return String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.1f | %d | %s |%n", name,
				percentiles.calls(), percentiles.p50() / 1e3, percentiles.p99() / 1e3, percentiles.p999() / 1e3,
				percentiles.max() / 1e6, percentiles.waited(), requests);
	}

	/**
	 * Run one JMH class and return, per benchmark method, its score and its bytes per
	 * operation.
	 */
	private static Map<String, double[]> jmh(Class<?> benchmark, int threads) throws RunnerException {
		Options options = new OptionsBuilder().include(benchmark.getName() + "\\.")
			.threads(threads)
			.addProfiler(GCProfiler.class)
			.verbosity(VerboseMode.SILENT)
			.build();
		Collection<RunResult> results = new Runner(options).run();
		Map<String, double[]> scores = new LinkedHashMap<>();
		for (RunResult result : results) {
			String method = result.getParams().getBenchmark();
			method = method.substring(method.lastIndexOf('.') + 1);
			Result<?> allocation = result.getSecondaryResults().get("gc.alloc.rate.norm");
			scores.put(method, new double[] { result.getPrimaryResult().getScore(),
					(allocation != null) ? allocation.getScore() : Double.NaN });
		}
		return scores;
	}

	private static String machine() throws IOException {
		String cpu = "unknown CPU";
		Path cpuinfo = Path.of("/proc/cpuinfo");
		if (Files.isReadable(cpuinfo)) {
			cpu = Files.readAllLines(cpuinfo)
				.stream()
				.filter((line) -> line.startsWith("model name"))
				.map((line) -> line.substring(line.indexOf(':') + 1).trim())
				.findFirst()
				.orElse(cpu);
		}
		return String.format(Locale.ROOT, "Machine: %s, %d cores available, %s %s, Java %s (%s); run on %s. "
				+ "Ratios compare figures of this one run; absolute numbers vary between runs on shared machines.%n",
				cpu, Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
				System.getProperty("os.arch"), System.getProperty("java.version"), System.getProperty("java.vm.name"),
				LocalDate.now(ZoneOffset.UTC));
	}

	private static void progress(String step) {
		System.err.println("Running: " + step);
	}

}
