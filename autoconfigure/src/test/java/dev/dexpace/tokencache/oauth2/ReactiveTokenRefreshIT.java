package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.endpoint.ReactiveTokenEndpointClients;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.memory.InMemoryReactiveTokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.endpoint.ReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Refresh-ahead and stale-if-error of the reactive manager, on a clock the test moves,
 * against a real token endpoint: nobody waits for the identity provider while a usable
 * token exists.
 */
class ReactiveTokenRefreshIT {

	private static final Duration LIFETIME = Duration.ofSeconds(600);

	private static final Duration BUFFER = Duration.ofSeconds(30);

	private static final Duration WAIT = Duration.ofSeconds(20);

	private final TestIdentityProvider idp = new TestIdentityProvider().lifetime(LIFETIME);

	private final TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			List.of("api.read"), null);

	private final AtomicLong nanos = new AtomicLong();

	private final MovableClock clock = new MovableClock(Instant.now());

	private final InMemoryTokenCache cache = new InMemoryTokenCache(8, 8, BUFFER, this.clock, this.nanos::get);

	private final List<CachingReactiveOAuth2AuthorizedClientManager> managers = new ArrayList<>();

	@AfterEach
	void stop() {
		this.managers.forEach(CachingReactiveOAuth2AuthorizedClientManager::close);
		this.idp.close();
	}

	@Test
	void aTokenAboutToLeaveTheCacheIsServedWhileOneBackgroundRequestFetchesTheNext() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(60));
		String first = token(manager);
		// The token leaves the cache 30 s before it expires; its refresh is due between 60 s
		// and 30 s before that.
		moveToBeforeExpiry(Duration.ofSeconds(55));
		CountDownLatch tokenResponses = this.idp.holdTokenResponses();
		try {
			// 20 concurrent subscribers, all served the current token while the request hangs
			List<String> tokens = Flux.range(0, 20)
				.flatMap((i) -> manager.authorize(request()))
				.map((client) -> client.getAccessToken().getTokenValue())
				.collectList()
				.block(WAIT);
			assertThat(tokens).hasSize(20).containsOnly(first);
			await().until(() -> this.idp.tokenRequests() == 2);
			assertThat(manager.isRefreshing(this.key)).isTrue();
			assertThat(token(manager)).isEqualTo(first);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		}
		finally {
			tokenResponses.countDown();
		}
		await().until(() -> !this.cache.get(this.key).tokenValue().equals(first));
		assertThat(token(manager)).isNotEqualTo(first).isEqualTo(this.cache.get(this.key).tokenValue());
		await().until(() -> !manager.isRefreshing(this.key));
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@Test
	void aHitBeforeTheRefreshWindowStartsNoRequest() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(60));
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(95));
		assertThat(token(manager)).isEqualTo(first);
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(1);
	}

	@Test
	void aTokenThatLeftTheCacheIsServedUntilItReallyExpiresWhileTheIdentityProviderFails() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		// The background retries wait in real time, and so does the backoff they honour.
		manager.setTokenEndpointBackoff(new TokenEndpointBackoff(Clock.systemUTC()));
		String first = token(manager);
		// Out of the cache, not yet really expired.
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThat(token(manager)).isEqualTo(first);
		// The retrying refresh is started off the caller's thread.
		await().until(() -> manager.isRefreshing(this.key));
		// While the retries run, callers do not wait for the identity provider: a caller
		// that sent a token request now would hang on the held response.
		CountDownLatch tokenResponses = this.idp.holdTokenResponses();
		try {
			assertThat(token(manager)).isEqualTo(first);
		}
		finally {
			tokenResponses.countDown();
		}
		this.idp.failTokenRequests(0);
		await().until(() -> this.cache.get(this.key) != null);
		assertThat(token(manager)).isNotEqualTo(first);
		await().until(() -> !manager.isRefreshing(this.key));
	}

	@Test
	void aHitInTheRefreshWindowIsServedWhenTheSchedulerOfBackgroundRefreshesIsFull() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(60));
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(55));
		ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new SynchronousQueue<>());
		Scheduler full = Schedulers.fromExecutorService(executor, "full");
		CountDownLatch release = fill(full);
		try {
			assertThat(token(manager)).isEqualTo(first);
			assertThat(manager.isRefreshing(this.key)).isFalse();
		}
		finally {
			release.countDown();
			full.dispose();
			executor.shutdown();
			manager.setHandOffScheduler(Schedulers.boundedElastic());
		}
		// Once refreshes can be handed off again, the next hit starts one.
		assertThat(token(manager)).isEqualTo(first);
		await().until(() -> this.idp.tokenRequests() == 2);
	}

	@Test
	void aStaleTokenIsServedWhenTheSchedulerOfBackgroundRefreshesIsFull() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new SynchronousQueue<>());
		Scheduler full = Schedulers.fromExecutorService(executor, "full");
		CountDownLatch release = fill(full);
		try {
			assertThat(token(manager)).isEqualTo(first);
		}
		finally {
			release.countDown();
			full.dispose();
			executor.shutdown();
		}
	}

	/**
	 * Take the only thread of the scheduler, which has no queue, with a task that waits for
	 * the returned latch, and make it the manager's hand-off scheduler: every further task
	 * is rejected, as by a bounded elastic scheduler whose threads and queues are full.
	 */
	private CountDownLatch fill(Scheduler scheduler) {
		CountDownLatch release = new CountDownLatch(1);
		CountDownLatch running = new CountDownLatch(1);
		scheduler.schedule(() -> {
			running.countDown();
			try {
				release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		try {
			assertThat(running.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
		}
		catch (InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
		assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> scheduler.schedule(() -> {
		}));
		this.managers.forEach((manager) -> manager.setHandOffScheduler(scheduler));
		return release;
	}

	@Test
	void aReallyExpiredTokenIsNeverServed() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(-1));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThatExceptionOfType(OAuth2AuthorizationException.class).isThrownBy(() -> token(manager));
		assertThat(manager.isRefreshing(this.key)).isFalse();
	}

	@Test
	void anErrorThatCannotHealFailsAtOnceWithoutServingStaleOrRetrying() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 400, "invalid_client");
		assertThatExceptionOfType(OAuth2AuthorizationException.class).isThrownBy(() -> token(manager))
			.satisfies((ex) -> assertThat(ex.getError().getErrorCode()).isEqualTo("invalid_client"));
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@Test
	void aRejectedTokenIsNeverServedStale() {
		CachingReactiveOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		OAuth2AuthorizeRequest request = request();
		OAuth2AuthorizedClient client = manager.authorize(request).block(WAIT);
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThatExceptionOfType(OAuth2AuthorizationException.class)
			.isThrownBy(() -> manager.reauthorize(request, client.getAccessToken()).block(WAIT));
		assertThat(manager.isRefreshing(this.key)).isFalse();
	}

	@Test
	void aHungIdentityProviderReleasesEveryWaitingSubscriberWithAnErrorAfterTheTimeout() {
		ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.clock))
			.withPropertyValues("dexpace.token-cache.token-request-timeout=300ms")
			.run((context) -> {
				ReactiveOAuth2AuthorizedClientManager manager = context.getBean(ReactiveOAuth2AuthorizedClientManager.class);
				CountDownLatch tokenResponses = this.idp.holdTokenResponses();
				try {
					List<Throwable> failures = Flux.range(0, 8)
						.flatMap((i) -> manager.authorize(request()).then(Mono.<Throwable>empty())
							.onErrorResume(Mono::just))
						.collectList()
						.block(WAIT);
					assertThat(failures).hasSize(8)
						.allSatisfy((failure) -> assertThat(failure).isInstanceOf(OAuth2AuthorizationException.class)
							.hasMessageContaining("did not answer within 300 ms"));
					assertThat(this.idp.tokenRequests()).isOne();
				}
				finally {
					tokenResponses.countDown();
				}
				// The first call after the backoff that followed the timeout gets a token.
				this.clock.advance(Duration.ofMinutes(1));
				assertThat(manager.authorize(request()).block(WAIT)).isNotNull();
			});
	}

	private CachingReactiveOAuth2AuthorizedClientManager manager(Duration refreshAhead) {
		ClientRegistration registration = ClientRegistration.withRegistrationId("api")
			.clientId("app")
			.clientSecret("app-secret")
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope("api.read")
			.tokenUri(this.idp.tokenUri())
			.build();
		InMemoryReactiveClientRegistrationRepository registrations = new InMemoryReactiveClientRegistrationRepository(
				registration);
		AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
				registrations, new NoStoreReactiveOAuth2AuthorizedClientService());
		// The starter's token clients: Spring's default decoder logs token responses at
		// TRACE, which the suite-wide leak check would report.
		ReactiveOAuth2AccessTokenResponseClient<OAuth2ClientCredentialsGrantRequest> client = new ReactiveTokenEndpointClients(
				new TokenEndpoint(new ExpiryResolvingTokenResponseConverter(
						new TokenLifetimeResolver(Duration.ofMinutes(5), Clock.systemUTC()), Clock.systemUTC()),
						Duration.ofSeconds(30), (registrationId) -> TokenEndpoint.ACCESS_TOKEN_TYPE, null))
			.clientCredentials();
		delegate.setAuthorizedClientProvider(ReactiveOAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder.accessTokenResponseClient(client))
			.build());
		CachingReactiveOAuth2AuthorizedClientManager manager = new CachingReactiveOAuth2AuthorizedClientManager(
				delegate, registrations, new InMemoryReactiveTokenCache(this.cache), new DefaultTokenKeyResolver(),
				new TokenLifetimeResolver(Duration.ofMinutes(5), this.clock), this.clock);
		manager.setExpiryBuffer(BUFFER);
		manager.setRefreshAhead(refreshAhead);
		this.managers.add(manager);
		return manager;
	}

	private static String token(CachingReactiveOAuth2AuthorizedClientManager manager) {
		return manager.authorize(request()).block(WAIT).getAccessToken().getTokenValue();
	}

	private static OAuth2AuthorizeRequest request() {
		return OAuth2AuthorizeRequest.withClientRegistrationId("api").principal("someone").build();
	}

	/**
	 * Move the wall clock and the cache's ticker together to the given time before the
	 * cached token expires. Tokens issued from then on live long past the moved clock,
	 * because the identity provider stamps them with the real time.
	 */
	private void moveToBeforeExpiry(Duration beforeExpiry) {
		Instant target = this.cache.get(this.key).expiresAt().minus(beforeExpiry);
		Duration duration = Duration.between(this.clock.instant(), target);
		this.nanos.addAndGet(duration.toNanos());
		this.clock.advance(duration);
		this.idp.lifetime(Duration.ofHours(2));
	}

}
