package dev.dexpace.tokencache.http;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServletOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * End to end through the auto-configured {@link WebClient} of a reactive application: a
 * real HTTP token endpoint and API, Spring Boot's reactive OAuth2 client and WebClient
 * auto-configuration, and ours. What RestClient and WebClient share is in
 * {@link TokenCacheCallsIT}.
 */
class WebClientTokenCacheIT extends TokenPathTraced {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private final ReactiveWebApplicationContextRunner contextRunner = ReactiveTokenCacheContexts
		.reactiveRunner(this.idp);

	WebClientTokenCacheIT() {
		super(false, "org.springframework.web.reactive.function.client");
	}

	@Test
	void sixtyFourConcurrentSubscribersOnAColdCacheMakeOneTokenRequest() throws Exception {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			CachingReactiveOAuth2AuthorizedClientManager manager = context
				.getBean(CachingReactiveOAuth2AuthorizedClientManager.class);
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			Outcomes outcomes = new Outcomes();
			CyclicBarrier start = new CyclicBarrier(64);
			List<Thread> threads = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				Thread thread = new Thread(() -> {
					awaitBarrier(start);
					outcomes.subscribe(ReactiveTokenCacheContexts.callApi(client, this.idp));
				});
				threads.add(thread);
				thread.start();
			}
			for (Thread thread : threads) {
				thread.join(20_000);
			}
			// All 64 subscribed; one token request is held at the endpoint, nothing answered yet.
			await().atMost(WAIT).until(() -> this.idp.tokenRequests() == 1);
			assertThat(manager.tokenRequestsInFlight()).isOne();
			assertThat(outcomes.terminated()).isZero();
			tokenResponses.countDown();
			outcomes.awaitAll(64);
			assertThat(outcomes.failures).isEmpty();
			assertThat(outcomes.succeeded).hasValue(64);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isEqualTo(64);
			assertThat(manager.tokenRequestsInFlight()).isZero();
		});
	}

	@Test
	void anErrorOfTheTokenRequestReachesEveryWaitingSubscriber() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			this.idp.failTokenRequests(1);
			Outcomes outcomes = new Outcomes();
			for (int i = 0; i < 8; i++) {
				outcomes.subscribe(ReactiveTokenCacheContexts.callApi(client, this.idp));
			}
			await().atMost(WAIT).until(() -> this.idp.tokenRequests() == 1);
			tokenResponses.countDown();
			outcomes.awaitAll(8);
			assertThat(outcomes.failures).hasSize(8);
			assertThat(outcomes.failures).extracting(Throwable::getMessage).allMatch((m) -> m.contains("server_error"));
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isZero();
		});
	}

	@Test
	void halfOfTheSubscribersCancelWhileTheTokenRequestIsInFlightAndTheRestGetTheToken() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			CachingReactiveOAuth2AuthorizedClientManager manager = context
				.getBean(CachingReactiveOAuth2AuthorizedClientManager.class);
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			Outcomes outcomes = new Outcomes();
			List<Disposable> subscriptions = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				subscriptions.add(outcomes.subscribe(ReactiveTokenCacheContexts.callApi(client, this.idp)));
			}
			await().atMost(WAIT).until(() -> this.idp.tokenRequests() == 1);
			// The first subscriber, whose call started the token request, is among those that cancel.
			for (int i = 0; i < 32; i++) {
				subscriptions.get(i).dispose();
			}
			assertThat(manager.tokenRequestsInFlight()).isOne();
			tokenResponses.countDown();
			outcomes.awaitAll(32);
			assertThat(outcomes.failures).isEmpty();
			assertThat(outcomes.succeeded).hasValue(32);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isEqualTo(32);
			assertThat(manager.tokenRequestsInFlight()).isZero();
			// The next call is a hit.
			ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
		});
	}

	@Test
	void whenEverySubscriberCancelsTheTokenRequestStillFillsTheCacheAndLeavesNoEntryBehind() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			CachingReactiveOAuth2AuthorizedClientManager manager = context
				.getBean(CachingReactiveOAuth2AuthorizedClientManager.class);
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			Outcomes outcomes = new Outcomes();
			List<Disposable> subscriptions = new ArrayList<>();
			for (int i = 0; i < 16; i++) {
				subscriptions.add(outcomes.subscribe(ReactiveTokenCacheContexts.callApi(client, this.idp)));
			}
			await().atMost(WAIT).until(() -> this.idp.tokenRequests() == 1);
			subscriptions.forEach(Disposable::dispose);
			tokenResponses.countDown();
			ReactiveTokenCache cache = context.getBean(ReactiveTokenCache.class);
			await().atMost(WAIT).until(() -> cache.get(systemKey()).block(WAIT) != null);
			await().atMost(WAIT).until(() -> manager.tokenRequestsInFlight() == 0);
			ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isEqualTo(1);
			assertThat(outcomes.terminated()).isZero();
		});
	}

	@Test
	void oneThousandPrincipalsShareOneClientCredentialsToken() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			Long calls = Flux.range(0, 1000)
				.flatMap((i) -> ReactiveTokenCacheContexts.callApi(client, this.idp)
					.contextWrite(ReactiveSecurityContextHolder
						.withAuthentication(new TestingAuthenticationToken("user-" + i, "n/a", "ROLE_USER"))), 32)
				.count()
				.block(Duration.ofSeconds(60));
			assertThat(calls).isEqualTo(1000);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(context.getBean(InMemoryTokenCache.class).size(TokenKind.SYSTEM)).isOne();
			assertThat(context.getBean(InMemoryTokenCache.class).size(TokenKind.USER)).isZero();
		});
	}

	@Test
	void aRequestThatNamesNoRegistrationGetsNoToken() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			assertThatExceptionOfType(WebClientResponseException.Unauthorized.class)
				.isThrownBy(() -> client.get().uri(this.idp.apiUri()).retrieve().toBodilessEntity().block(WAIT));
			assertThat(this.idp.tokenRequests()).isZero();
			assertThat(this.idp.apiCalls()).isOne();
		});
	}

	@Test
	void tokenExchangeKeepsOneTokenPerUserAndSendsTheSubjectAsAnAccessToken() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			Jwt alice = jwt("alice");
			Jwt bob = jwt("bob");
			for (Jwt user : List.of(alice, bob, alice, bob, alice)) {
				client.get()
					.uri(this.idp.apiUri())
					.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("exchange"))
					.retrieve()
					.toBodilessEntity()
					.contextWrite(ReactiveSecurityContextHolder
						.withAuthentication(new TestingAuthenticationToken(user, "n/a", "ROLE_USER")))
					.block(WAIT);
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.tokenRequestParameters()).extracting((parameters) -> parameters.get("subject_token_type"))
				.containsOnly("urn:ietf:params:oauth:token-type:access_token");
			assertThat(context.getBean(InMemoryTokenCache.class).size(TokenKind.USER)).isEqualTo(2);
		});
	}

	@Test
	void jwtBearerKeepsOneTokenPerUserAndSendsTheUsersJwtAsTheAssertion() {
		this.contextRunner
			.withPropertyValues("spring.security.oauth2.client.registration.jwt.client-id=app",
					"spring.security.oauth2.client.registration.jwt.client-secret=app-secret",
					"spring.security.oauth2.client.registration.jwt.authorization-grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer",
					"spring.security.oauth2.client.registration.jwt.scope=api.read",
					"spring.security.oauth2.client.registration.jwt.provider=idp")
			.run((context) -> {
				WebClient client = ReactiveTokenCacheContexts.webClient(context);
				for (Jwt user : List.of(jwt("carol"), jwt("dave"))) {
					for (int i = 0; i < 3; i++) {
						client.get()
							.uri(this.idp.apiUri())
							.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("jwt"))
							.retrieve()
							.toBodilessEntity()
							.contextWrite(ReactiveSecurityContextHolder
								.withAuthentication(new TestingAuthenticationToken(user, "n/a", "ROLE_USER")))
							.block(WAIT);
					}
				}
				assertThat(this.idp.tokenRequests()).isEqualTo(2);
				assertThat(this.idp.tokenRequestParameters()).extracting((parameters) -> parameters.get("assertion"))
					.containsExactly("subject-token-of-carol", "subject-token-of-dave");
			});
	}

	@Test
	void aServletApplicationsWebClientTakesThePrincipalFromTheSecurityContextHolder() {
		ReactiveTokenCacheContexts.blockingRunnerWithWebClient(this.idp).run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			try {
				for (Jwt user : List.of(jwt("erin"), jwt("frank"), jwt("erin"))) {
					org.springframework.security.core.context.SecurityContextHolder.getContext()
						.setAuthentication(new TestingAuthenticationToken(user, "n/a", "ROLE_USER"));
					client.get()
						.uri(this.idp.apiUri())
						.attributes(ServletOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("exchange"))
						.retrieve()
						.toBodilessEntity()
						.block(WAIT);
				}
			}
			finally {
				org.springframework.security.core.context.SecurityContextHolder.clearContext();
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.tokenRequestParameters()).extracting((parameters) -> parameters.get("subject_token"))
				.containsExactly("subject-token-of-erin", "subject-token-of-frank");
		});
	}

	@Test
	void aBrokenCacheBackendNeverFailsACall() {
		this.contextRunner.withBean(ReactiveTokenCache.class, BrokenReactiveTokenCache::new).run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			Flux.range(0, 5).concatMap((i) -> ReactiveTokenCacheContexts.callApi(client, this.idp)).blockLast(WAIT);
			assertThat(this.idp.apiCalls()).isEqualTo(5);
			assertThat(this.idp.tokenRequests()).isEqualTo(5);
			// Per call: the read, the re-read before fetching, and the write.
			assertThat(context.getBean(CachingReactiveOAuth2AuthorizedClientManager.class).cacheFailures())
				.isEqualTo(15);
		});
	}

	@Test
	void aServletApplicationsWebClientAndRestClientShareOneToken() {
		ReactiveTokenCacheContexts.blockingRunnerWithWebClient(this.idp).run((context) -> {
			assertThat(context).doesNotHaveBean(org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository.class);
			assertThat(context).hasSingleBean(ReactiveOAuth2AuthorizedClientManager.class);
			WebClient webClient = ReactiveTokenCacheContexts.webClient(context);
			RestClient restClient = TokenCacheContexts.restClient(context);
			TokenCacheContexts.callApi(restClient, this.idp);
			webClient.get()
				.uri(this.idp.apiUri())
				.attributes(ServletOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
				.attributes(ServletOAuth2AuthorizedClientExchangeFilterFunction
					.authentication(new TestingAuthenticationToken("user", "n/a", "ROLE_USER")))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(this.idp.apiCalls()).isEqualTo(2);
			// A 401 seen through the WebClient retires the token for the RestClient too.
			String first = context.getBean(TokenCache.class).get(systemKey()).tokenValue();
			this.idp.revoke(first);
			ReactiveTokenCacheContexts.callApi(webClient, this.idp).block(WAIT);
			TokenCacheContexts.callApi(restClient, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
		});
	}

	/**
	 * A backend that fails every operation, as an unreachable store would.
	 */
	static final class BrokenReactiveTokenCache implements ReactiveTokenCache {

		@Override
		public Mono<CachedToken> get(TokenKey key) {
			return Mono.error(new IllegalStateException("backend down"));
		}

		@Override
		public Mono<Void> put(TokenKey key, CachedToken token) {
			return Mono.error(new IllegalStateException("backend down"));
		}

		@Override
		public Mono<Void> delete(TokenKey key) {
			throw new IllegalStateException("backend down, thrown before subscription");
		}

		@Override
		public Mono<Void> clear() {
			return Mono.error(new IllegalStateException("backend down"));
		}

	}

	private static Jwt jwt(String subject) {
		return Jwt.withTokenValue("subject-token-of-" + subject)
			.header("alg", "none")
			.subject(subject)
			.issuedAt(Instant.now())
			.expiresAt(Instant.now().plusSeconds(600))
			.build();
	}

	private TokenKey systemKey() {
		return TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp), Set.of("api.read", "api.write"), null);
	}

	private static void awaitBarrier(CyclicBarrier barrier) {
		try {
			barrier.await(20, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Collects the outcome of many subscriptions.
	 */
	static final class Outcomes {

		final AtomicInteger succeeded = new AtomicInteger();

		final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

		private final Map<Integer, Boolean> done = new ConcurrentHashMap<>();

		private final AtomicInteger ids = new AtomicInteger();

		Disposable subscribe(Mono<?> call) {
			int id = this.ids.incrementAndGet();
			return call.subscribe((value) -> {
			}, (ex) -> {
				this.failures.add(ex);
				this.done.put(id, false);
			}, () -> {
				this.succeeded.incrementAndGet();
				this.done.put(id, true);
			});
		}

		int terminated() {
			return this.done.size();
		}

		void awaitAll(int count) {
			org.awaitility.Awaitility.await().atMost(WAIT).until(() -> terminated() == count);
		}

	}

}
