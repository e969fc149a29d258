package dev.dexpace.tokencache.sample;

import java.util.List;
import java.util.Locale;

import dev.dexpace.tokencache.sample.Workload.ScenarioResult;
import org.jspecify.annotations.Nullable;

/**
 * The figures of a comparison, and the report printed at the end of a run: one table per
 * kind of client.
 *
 * @param workload the workload that was run through every client
 * @param clients the figures of every kind of client, in the order they ran
 */
record ComparisonReport(SampleProperties workload, List<ClientResult> clients) {

	private static final String ROW = "%-22s%22s%24s%n";

	/**
	 * Return the figures of the given kind of client.
	 * @param name the kind of client, for example {@link Comparison#REST_CLIENT}
	 * @return its figures
	 */
	ClientResult client(String name) {
		return this.clients.stream()
			.filter((client) -> client.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("No client named " + name));
	}

	String render() {
		StringBuilder report = new StringBuilder();
		report.append(String.format(Locale.ROOT,
				"%n%,d calls to the API per client from %d threads for %d users, one client_credentials registration%n",
				this.workload.calls(), this.workload.threads(), this.workload.users()));
		if (this.workload.warmUpCalls() > 0) {
			report.append(String.format(Locale.ROOT, "(each client first made %,d warm-up calls, not counted)%n",
					this.workload.warmUpCalls()));
		}
		for (ClientResult client : this.clients) {
			render(report, client);
		}
		return report.toString();
	}

	private void render(StringBuilder report, ClientResult client) {
		report.append(String.format(Locale.ROOT, "%n%s (stock: %s)%n", client.name(), client.stockWiring()));
		report.append(String.format(Locale.ROOT, ROW, "", "dexpace token cache", "stock Spring Security"));
		table(report, client.tokenCache(), client.stock());
		report.append(String.format(Locale.ROOT, "%s%n", ratio(client)));
		report.append(String.format(Locale.ROOT, "%s%n", hitRatio(client.tokenCacheLookups())));
		ScenarioResult tokenCacheRevoked = client.tokenCacheRevoked();
		ScenarioResult stockRevoked = client.stockRevoked();
		if (tokenCacheRevoked != null && stockRevoked != null) {
			report.append(String.format(Locale.ROOT, "The same again, while the API revokes the token of call %,d:%n",
					Math.max(1, this.workload.calls() / 2)));
			table(report, tokenCacheRevoked, stockRevoked);
			failureCauses(report, tokenCacheRevoked, stockRevoked);
		}
	}

	private static void table(StringBuilder report, ScenarioResult tokenCache, ScenarioResult stock) {
		row(report, "calls", tokenCache.calls(), stock.calls());
		row(report, "failed calls", tokenCache.failedCalls(), stock.failedCalls());
		row(report, "token requests", tokenCache.tokenRequests(), stock.tokenRequests());
		report.append(String.format(Locale.ROOT, ROW, "time", tokenCache.time().toMillis() + " ms",
				stock.time().toMillis() + " ms"));
	}

	private static void row(StringBuilder report, String name, long tokenCache, long stock) {
		report.append(String.format(Locale.ROOT, ROW, name, String.format(Locale.ROOT, "%,d", tokenCache),
				String.format(Locale.ROOT, "%,d", stock)));
	}

	private static void failureCauses(StringBuilder report, ScenarioResult tokenCache, ScenarioResult stock) {
		if (tokenCache.firstFailure() != null || stock.firstFailure() != null) {
			report.append(String.format(Locale.ROOT, ROW, "first failure", orNone(tokenCache.firstFailure()),
					orNone(stock.firstFailure())));
		}
	}

	private static String orNone(@Nullable String failure) {
		return (failure != null) ? failure : "-";
	}

	private static String hitRatio(Lookups lookups) {
		long total = lookups.hits() + lookups.misses();
		if (total == 0) {
			return "The token cache's metrics counted no lookups.";
		}
		return String.format(Locale.ROOT,
				"Token cache hit ratio (metric dexpace.token.cache.lookups): %.2f %% (%,d hits, %,d misses).",
				100.0 * lookups.hits() / total, lookups.hits(), lookups.misses());
	}

	private static String ratio(ClientResult client) {
		long cached = client.tokenCache().tokenRequests();
		long stock = client.stock().tokenRequests();
		if (cached == 0) {
			return "The token cache made no token request; stock Spring Security made " + stock + ".";
		}
		double ratio = (double) stock / cached;
		return String.format(Locale.ROOT, "Stock Spring Security made %s times as many token requests as the token cache.",
				(ratio >= 10) ? String.format(Locale.ROOT, "%,.0f", ratio) : String.format(Locale.ROOT, "%.1f", ratio));
	}

	/**
	 * The figures of one kind of client.
	 *
	 * @param name the kind of client
	 * @param stockWiring what stock Spring Security puts on the client
	 * @param tokenCache the run through the token cache
	 * @param stock the run through stock Spring Security
	 * @param tokenCacheRevoked the run through the token cache while a token was revoked
	 * @param stockRevoked the run through stock Spring Security while a token was revoked
	 * @param tokenCacheLookups the token cache's lookups during its first run, from its
	 * metrics
	 */
	record ClientResult(String name, String stockWiring, ScenarioResult tokenCache, ScenarioResult stock,
			@Nullable ScenarioResult tokenCacheRevoked, @Nullable ScenarioResult stockRevoked,
			Lookups tokenCacheLookups) {

	}

	/**
	 * Lookups in the token cache, as counted by its metrics.
	 *
	 * @param hits the lookups that found a token
	 * @param misses the lookups that did not
	 */
	record Lookups(long hits, long misses) {

		Lookups minus(Lookups earlier) {
			return new Lookups(this.hits - earlier.hits, this.misses - earlier.misses);
		}

	}

}
