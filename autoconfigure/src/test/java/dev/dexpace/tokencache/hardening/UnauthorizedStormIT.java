package dev.dexpace.tokencache.hardening;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An API that rejects every token with 401: each request is retried exactly once with a
 * new token and then fails with the 401; token requests grow with the number of requests,
 * never in a loop; when the API accepts tokens again, calls succeed.
 */
class UnauthorizedStormIT {

	private static final int CALLS = 20;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp);

	@AfterEach
	void stop() {
		this.idp.close();
	}

	@Test
	void everyRequestIsRetriedOnceAndCostsOneTokenRequest() {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			this.idp.apiStatus(401);
			for (int i = 0; i < CALLS; i++) {
				assertThatExceptionOfType(HttpClientErrorException.Unauthorized.class)
					.isThrownBy(() -> TokenCacheContexts.callApi(client, this.idp));
			}
			assertThat(this.idp.apiCalls()).as("API calls: each request and its one retry").isEqualTo(2 * CALLS);
			// The first request fetches a token and, rejected, one more; every later request
			// finds the last fetched token, is rejected, and fetches one more.
			assertThat(this.idp.tokenRequests()).isEqualTo(CALLS + 1);
			this.idp.apiStatus(0);
			TokenCacheContexts.callApi(client, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(CALLS + 1);
		});
	}

	@Test
	void concurrentRequestsAreEachRetriedOnceAndTokenRequestsStayBounded() throws Exception {
		int threads = 16;
		int callsPerThread = 10;
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			this.idp.apiStatus(401);
			ExecutorService executor = Executors.newFixedThreadPool(threads);
			List<Callable<Integer>> tasks = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				tasks.add(() -> {
					int unauthorized = 0;
					for (int i = 0; i < callsPerThread; i++) {
						try {
							TokenCacheContexts.callApi(client, this.idp);
						}
						catch (HttpClientErrorException.Unauthorized ex) {
							unauthorized++;
						}
					}
					return unauthorized;
				});
			}
			int unauthorized = 0;
			try {
				for (Future<Integer> result : executor.invokeAll(tasks)) {
					unauthorized += result.get();
				}
			}
			finally {
				executor.shutdown();
				assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
			}
			int calls = threads * callsPerThread;
			assertThat(unauthorized).isEqualTo(calls);
			assertThat(this.idp.apiCalls()).as("API calls: each request and its one retry").isEqualTo(2 * calls);
			// A request fetches at most once to authorize and at most twice to re-authorize
			// (once more if it joined a fetch that returned the rejected token).
			assertThat(this.idp.tokenRequests()).isPositive().isLessThanOrEqualTo(3 * calls);
			this.idp.apiStatus(0);
			TokenCacheContexts.callApi(client, this.idp);
		});
	}

}
