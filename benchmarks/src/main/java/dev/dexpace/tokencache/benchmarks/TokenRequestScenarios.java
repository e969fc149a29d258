package dev.dexpace.tokencache.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;

import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;

/**
 * Counts token requests, not time: how many requests the token endpoint receives when N
 * threads that all need the same token start together on an empty cache (cold start), and
 * again when that token has expired (rollover). Both sides key the token alike (one
 * application principal), so the difference is coalescing alone.
 */
final class TokenRequestScenarios {

	/**
	 * Token lifetime for the rollover: short, so the run waits little for it to expire.
	 */
	private static final Duration LIFETIME = Duration.ofSeconds(3);

	private static final Duration SKEW = Duration.ofSeconds(1);

	private TokenRequestScenarios() {
	}

	/**
	 * Run cold start and rollover for one thread count on both sides.
	 * @param threads how many threads call together
	 * @return the counts
	 */
	static Counts run(int threads) {
		Side tokenCache;
		Side stock;
		try (LocalIdentityProvider idp = new LocalIdentityProvider().lifetime(LIFETIME)) {
			Managers managers = new Managers(idp.tokenUri());
			// No refresh-ahead here: the rollover must go through an expired token.
			CachingOAuth2AuthorizedClientManager ours = managers.tokenCache(SKEW, Duration.ZERO);
			try {
				tokenCache = side(idp, ours, threads);
			}
			finally {
				ours.close();
			}
			stock = side(idp, managers.stock(SKEW), threads);
		}
		return new Counts(threads, tokenCache, stock);
	}

	private static Side side(LocalIdentityProvider idp, OAuth2AuthorizedClientManager manager, int threads) {
		int before = idp.tokenRequests();
		String first = together(threads, () -> manager.authorize(Managers.request()));
		int coldStart = idp.tokenRequests() - before;
		// Wait until the token is expired for both sides (lifetime minus skew), then again.
		pause(LIFETIME.minus(SKEW).plusMillis(200));
		before = idp.tokenRequests();
		String second = together(threads, () -> manager.authorize(Managers.request()));
		if (first.equals(second)) {
			throw new IllegalStateException("The rollover did not replace the token");
		}
		return new Side(coldStart, idp.tokenRequests() - before);
	}

	/**
	 * Release all threads at once and return the token the first of them got.
	 */
	private static String together(int threads, Supplier<OAuth2AuthorizedClient> call) {
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			CyclicBarrier start = new CyclicBarrier(threads);
			List<Future<OAuth2AuthorizedClient>> results = new ArrayList<>();
			for (int i = 0; i < threads; i++) {
				results.add(executor.submit(() -> {
					start.await();
					return call.get();
				}));
			}
			String token = null;
			for (Future<OAuth2AuthorizedClient> result : results) {
				String value = result.get().getAccessToken().getTokenValue();
				token = (token != null) ? token : value;
			}
			return token;
		}
		catch (Exception ex) {
			throw new IllegalStateException("A scenario thread failed", ex);
		}
		finally {
			executor.shutdownNow();
		}
	}

	private static void pause(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Token requests of one side.
	 *
	 * @param coldStart requests when all threads start on an empty cache
	 * @param rollover requests when all threads find the token expired
	 */
	record Side(int coldStart, int rollover) {

	}

	/**
	 * Token requests of both sides for one thread count.
	 *
	 * @param threads the thread count
	 * @param tokenCache our side
	 * @param stock stock Spring Security
	 */
	record Counts(int threads, Side tokenCache, Side stock) {

	}

}
