package dev.dexpace.tokencache.benchmarks;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * The latency of API calls made while tokens expire and the identity provider takes
 * 200 ms to answer: a few threads call without pause for several token lifetimes, and
 * every call's latency is recorded. Stock Spring Security makes the unlucky callers wait
 * for the token request; with refresh-ahead nobody should. A warm run, in which the token
 * never expires, gives the latency of a plain hit to compare with.
 */
final class ExpiryLatencyScenario {

	static final Duration TOKEN_LIFETIME = Duration.ofSeconds(4);

	static final Duration IDP_DELAY = Duration.ofMillis(200);

	static final int THREADS = 4;

	static final Duration RUN = Duration.ofSeconds(12);

	private static final Duration WARM_UP = Duration.ofSeconds(5);

	private static final Duration SKEW = Duration.ofSeconds(1);

	private ExpiryLatencyScenario() {
	}

	/**
	 * Run the three measurements.
	 * @return the latencies
	 */
	static Latencies run() {
		try (LocalIdentityProvider idp = new LocalIdentityProvider().delay(IDP_DELAY)) {
			Managers managers = new Managers(idp.tokenUri());
			JdkClientHttpRequestFactory requestFactory = new JdkClientHttpRequestFactory(
					HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
			// Unmeasured: both sides once across expiries, so that neither measured run pays
			// for compiling the HTTP stack and the managers.
			idp.lifetime(TOKEN_LIFETIME);
			CachingOAuth2AuthorizedClientManager warmUp = managers.tokenCache(SKEW, Duration.ofSeconds(2));
			try {
				measure(Managers.tokenCacheClient(warmUp, requestFactory), idp, WARM_UP);
			}
			finally {
				warmUp.close();
			}
			measure(Managers.stockClient(managers.stock(SKEW), requestFactory), idp, WARM_UP);
			Percentiles tokenCache;
			int before = idp.tokenRequests();
			CachingOAuth2AuthorizedClientManager manager = managers.tokenCache(SKEW, Duration.ofSeconds(2));
			try {
				tokenCache = measure(Managers.tokenCacheClient(manager, requestFactory), idp, RUN);
			}
			finally {
				manager.close();
			}
			int tokenCacheRequests = idp.tokenRequests() - before;
			before = idp.tokenRequests();
			Percentiles stock = measure(Managers.stockClient(managers.stock(SKEW), requestFactory), idp, RUN);
			int stockRequests = idp.tokenRequests() - before;
			// Last, so that the baseline runs on code the JIT has compiled like the others.
			idp.lifetime(Duration.ofHours(1));
			Percentiles warm;
			CachingOAuth2AuthorizedClientManager warmManager = managers.tokenCache(SKEW, Duration.ofSeconds(2));
			try {
				warm = measure(Managers.tokenCacheClient(warmManager, requestFactory), idp, RUN);
			}
			finally {
				warmManager.close();
			}
			return new Latencies(warm, tokenCache, tokenCacheRequests, stock, stockRequests);
		}
	}

	private static Percentiles measure(RestClient client, LocalIdentityProvider idp, Duration run) {
		// Warm the HTTP client and the code path, then measure from a fresh token onwards.
		for (int i = 0; i < 2_000; i++) {
			Managers.call(client, idp.apiUri());
		}
		ExecutorService executor = Executors.newFixedThreadPool(THREADS);
		try {
			CountDownLatch start = new CountDownLatch(1);
			long end = System.nanoTime() + run.toNanos();
			List<Future<long[]>> results = new ArrayList<>();
			for (int t = 0; t < THREADS; t++) {
				results.add(executor.submit(() -> {
					long[] samples = new long[1 << 16];
					int count = 0;
					start.await();
					while (System.nanoTime() < end) {
						long began = System.nanoTime();
						Managers.call(client, idp.apiUri());
						if (count == samples.length) {
							samples = Arrays.copyOf(samples, count * 2);
						}
						samples[count++] = System.nanoTime() - began;
					}
					return Arrays.copyOf(samples, count);
				}));
			}
			start.countDown();
			long[] all = new long[0];
			for (Future<long[]> result : results) {
				long[] samples = result.get();
				int offset = all.length;
				all = Arrays.copyOf(all, offset + samples.length);
				System.arraycopy(samples, 0, all, offset, samples.length);
			}
			Arrays.sort(all);
			long waited = Arrays.stream(all).filter((nanos) -> nanos >= IDP_DELAY.toNanos()).count();
			return new Percentiles(all.length, at(all, 0.50), at(all, 0.99), at(all, 0.999), all[all.length - 1],
					waited);
		}
		catch (Exception ex) {
			throw new IllegalStateException("A latency thread failed", ex);
		}
		finally {
			executor.shutdownNow();
		}
	}

	private static long at(long[] sorted, double quantile) {
		return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
	}

	/**
	 * Latency percentiles of one run, in nanoseconds.
	 *
	 * @param calls the number of calls
	 * @param p50 the median
	 * @param p99 the 99th percentile
	 * @param p999 the 99.9th percentile
	 * @param max the slowest call
	 * @param waited the calls that took at least as long as one token request
	 */
	record Percentiles(int calls, long p50, long p99, long p999, long max, long waited) {

	}

	/**
	 * The three runs.
	 *
	 * @param warm our side with a token that never expires
	 * @param tokenCache our side across expiries, with refresh-ahead
	 * @param tokenCacheRequests token requests of our side across expiries
	 * @param stock stock Spring Security across expiries
	 * @param stockRequests token requests of the stock side across expiries
	 */
	record Latencies(Percentiles warm, Percentiles tokenCache, int tokenCacheRequests, Percentiles stock,
			int stockRequests) {

	}

}
