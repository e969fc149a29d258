package dev.dexpace.tokencache.http;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.test.TestIdentityProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two scenarios every HTTP client is held to, against a real token endpoint and API:
 * 100 calls from 8 threads on a cold cache, and a token the API revokes. Each prints its
 * figures on one {@code FIGURES} line, so that a run can be quoted.
 */
final class ClientScenarios {

	static final int CALLS = 100;

	static final int THREADS = 8;

	private ClientScenarios() {
	}

	/**
	 * Make {@link #CALLS} calls from {@link #THREADS} threads that start together.
	 * @param client names the client in the figures
	 * @param idp the identity provider
	 * @param lookups the lookup counter of the context
	 * @param call one call; throws when it fails
	 */
	static void concurrentCalls(String client, TestIdentityProvider idp, Lookups lookups, Call call) throws Exception {
		ExecutorService executor = Executors.newFixedThreadPool(THREADS);
		CyclicBarrier start = new CyclicBarrier(THREADS);
		AtomicInteger next = new AtomicInteger();
		AtomicInteger failed = new AtomicInteger();
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int i = 0; i < THREADS; i++) {
				futures.add(executor.submit(() -> {
					start.await(30, TimeUnit.SECONDS);
					while (next.getAndIncrement() < CALLS) {
						try {
							call.run();
						}
						catch (Exception ex) {
							failed.incrementAndGet();
						}
					}
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			executor.shutdownNow();
		}
		System.out.printf("FIGURES %s: %d calls from %d threads: %d failed, %d token requests, %d cache lookups%n",
				client, CALLS, THREADS, failed.get(), idp.tokenRequests(), lookups.count());
		assertThat(failed).hasValue(0);
		assertThat(idp.apiCalls()).isEqualTo(CALLS);
		assertThat(idp.tokenRequests()).isOne();
		assertThat(lookups.count()).as("one cache lookup per call").isEqualTo(CALLS);
	}

	/**
	 * Make one call, revoke its token, then make 10 more.
	 * @param client names the client in the figures
	 * @param idp the identity provider
	 * @param call one call; throws when it fails
	 */
	static void revokedToken(String client, TestIdentityProvider idp, Call call) throws Exception {
		call.run();
		assertThat(idp.issuedTokens()).hasSize(1);
		idp.revoke(idp.issuedTokens().iterator().next());
		int failed = 0;
		for (int i = 0; i < 10; i++) {
			try {
				call.run();
			}
			catch (Exception ex) {
				failed++;
			}
		}
		System.out.printf("FIGURES %s: revoked token, then 10 calls: %d failed, %d token requests in all, "
				+ "revoked token sent %d time(s)%n", client, failed, idp.tokenRequests(),
				idp.revokedTokensReceived().size());
		assertThat(failed).isZero();
		assertThat(idp.tokenRequests()).isEqualTo(2);
		assertThat(idp.revokedTokensReceived()).hasSize(1);
		assertThat(idp.apiCalls()).isEqualTo(1 + 10 + 1);
	}

	@FunctionalInterface
	interface Call {

		void run() throws Exception;

	}

	/**
	 * Counts cache lookups: the work a call costs before it is sent.
	 */
	static final class Lookups implements TokenCacheListener {

		private final AtomicInteger lookups = new AtomicInteger();

		@Override
		public void lookup(TokenKind kind, boolean hit) {
			this.lookups.incrementAndGet();
		}

		int count() {
			return this.lookups.get();
		}

	}

}
