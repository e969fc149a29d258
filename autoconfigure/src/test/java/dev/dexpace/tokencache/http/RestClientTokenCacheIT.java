package dev.dexpace.tokencache.http;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * End to end through the auto-configured {@link RestClient}: a real HTTP token endpoint
 * and API, Spring Boot's OAuth2 client and RestClient auto-configuration, and ours. What
 * RestClient and WebClient share is in {@link TokenCacheCallsIT}.
 */
class RestClientTokenCacheIT extends TokenPathTraced {

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp);

	RestClientTokenCacheIT() {
		super(true, "org.springframework.web.client");
	}

	@Test
	void concurrentCallsOnAColdCacheMakeOneTokenRequest() {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			List<Thread> threads = new ArrayList<>();
			Map<Thread, Throwable> failures = new ConcurrentHashMap<>();
			CountDownLatch start = new CountDownLatch(1);
			for (int i = 0; i < 64; i++) {
				Thread thread = new Thread(() -> {
					try {
						start.await();
						callApi(client);
					}
					catch (Throwable ex) {
						failures.put(Thread.currentThread(), ex);
					}
				});
				threads.add(thread);
				thread.start();
			}
			start.countDown();
			// One caller holds the token request; the other 63 wait for its result.
			await().atMost(Duration.ofSeconds(20))
				.until(() -> this.idp.tokenRequests() == 1 && waiting(threads) == 63);
			tokenResponses.countDown();
			for (Thread thread : threads) {
				thread.join(20_000);
			}
			assertThat(failures).isEmpty();
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isEqualTo(64);
		});
	}

	@Test
	void anErrorOfTheTokenRequestReachesEveryWaitingCaller() {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			this.idp.failTokenRequests(1);
			List<Thread> threads = new ArrayList<>();
			Map<Thread, Throwable> failures = new ConcurrentHashMap<>();
			for (int i = 0; i < 8; i++) {
				Thread thread = new Thread(() -> {
					try {
						callApi(client);
					}
					catch (Throwable ex) {
						failures.put(Thread.currentThread(), ex);
					}
				});
				threads.add(thread);
				thread.start();
			}
			await().atMost(Duration.ofSeconds(20))
				.until(() -> this.idp.tokenRequests() == 1 && waiting(threads) == 7);
			tokenResponses.countDown();
			for (Thread thread : threads) {
				thread.join(20_000);
			}
			assertThat(failures).hasSize(8);
			assertThat(failures.values()).extracting(Throwable::getMessage).allMatch((m) -> m.contains("server_error")
					|| m.contains("500") || m.contains("invalid_token_response"));
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isZero();
		});
	}

	@Test
	void oneThousandPrincipalsShareOneClientCredentialsToken() {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			for (int i = 0; i < 1000; i++) {
				String user = "user-" + i;
				client.get()
					.uri(this.idp.apiUri())
					.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
					.attributes(RequestAttributePrincipalResolver.principal(user))
					.retrieve()
					.toBodilessEntity();
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(context.getBean(InMemoryTokenCache.class).size(TokenKind.SYSTEM)).isOne();
		});
	}

	@Test
	void aRequestThatNamesNoRegistrationGetsNoToken() {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			assertThatExceptionOfType(HttpClientErrorException.Unauthorized.class)
				.isThrownBy(() -> client.get().uri(this.idp.apiUri()).retrieve().toBodilessEntity());
			assertThat(this.idp.tokenRequests()).isZero();
			assertThat(this.idp.apiCalls()).isEqualTo(1);
		});
	}

	@Test
	void tokenExchangeKeysEachUserAndTheUserTierStaysBounded() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.max-user-tokens=100").run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			InMemoryTokenCache cache = context.getBean(InMemoryTokenCache.class);
			long largest = 0;
			for (int i = 0; i < 300; i++) {
				Jwt subject = Jwt.withTokenValue(TestIdentityProvider.unsignedJwt(Instant.now().plusSeconds(600)))
					.header("alg", "none")
					.subject("user-" + i)
					.build();
				client.get()
					.uri(this.idp.apiUri())
					.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("exchange"))
					.attributes(RequestAttributePrincipalResolver.principal(new TestingAuthenticationToken(subject, null)))
					.retrieve()
					.toBodilessEntity();
				largest = Math.max(largest, cache.size(TokenKind.USER));
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(300);
			assertThat(largest).isEqualTo(100);
			assertThat(this.idp.tokenRequestParameters()).allSatisfy((parameters) -> assertThat(parameters)
				.containsEntry("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"));
		});
	}

	@Test
	void sixteenThreadsOfManyCallsMakeOneTokenRequestAndNoFailure() throws Exception {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			ExecutorService executor = Executors.newFixedThreadPool(16);
			try {
				List<Callable<Void>> calls = new ArrayList<>();
				for (int i = 0; i < 500; i++) {
					calls.add(() -> {
						callApi(client);
						return null;
					});
				}
				for (Future<Void> result : executor.invokeAll(calls)) {
					result.get();
				}
			}
			finally {
				executor.shutdown();
				executor.awaitTermination(10, TimeUnit.SECONDS);
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
		});
	}

	private void callApi(RestClient client) {
		TokenCacheContexts.callApi(client, this.idp);
	}

	/**
	 * Count the threads parked on a token request another thread has in flight.
	 */
	private static long waiting(List<Thread> threads) {
		return threads.stream()
			.filter((thread) -> Arrays.stream(thread.getStackTrace())
				.anyMatch((frame) -> frame.getClassName().equals("dev.dexpace.tokencache.oauth2.SingleFlight")
						&& frame.getMethodName().equals("await")))
			.count();
	}

}
