package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Refresh-ahead, stale-if-error and token request timeouts of the caching manager, on a
 * clock the test moves, against a real token endpoint.
 */
class TokenRefreshIT {

	private static final Duration LIFETIME = Duration.ofSeconds(600);

	private static final Duration BUFFER = Duration.ofSeconds(30);

	private final TestIdentityProvider idp = new TestIdentityProvider().lifetime(LIFETIME);

	private final TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			List.of("api.read"), null);

	private final AtomicLong nanos = new AtomicLong();

	private final MovableClock clock = new MovableClock(Instant.now());

	private final InMemoryTokenCache cache = new InMemoryTokenCache(8, 8, BUFFER, this.clock, this.nanos::get);

	private final List<CachingOAuth2AuthorizedClientManager> managers = new ArrayList<>();

	@AfterEach
	void stop() {
		this.managers.forEach(CachingOAuth2AuthorizedClientManager::close);
		this.idp.close();
	}

	@Test
	void aTokenAboutToLeaveTheCacheIsServedWhileOneBackgroundRequestFetchesTheNext() {
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(60));
		String first = token(manager);
		// The token leaves the cache 30 s before it expires; its refresh is due between 60 s
		// and 30 s before that.
		moveToBeforeExpiry(Duration.ofSeconds(55));
		CountDownLatch tokenResponses = this.idp.holdTokenResponses();
		try {
			for (int i = 0; i < 20; i++) {
				assertThat(token(manager)).isEqualTo(first);
			}
			await().until(() -> this.idp.tokenRequests() == 2);
			for (int i = 0; i < 20; i++) {
				assertThat(token(manager)).isEqualTo(first);
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		}
		finally {
			tokenResponses.countDown();
		}
		await().until(() -> !this.cache.get(this.key).tokenValue().equals(first));
		assertThat(token(manager)).isNotEqualTo(first).isEqualTo(this.cache.get(this.key).tokenValue());
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@Test
	void onTheSystemClockATimerTellsHitsThatTheRefreshIsDue() {
		// Real time: tokens live 8 s and leave the cache 1 s before; the refresh is due
		// between 2 s and 1 s before that, so from 5 s to 6 s after the token was issued.
		this.idp.lifetime(Duration.ofSeconds(8));
		InMemoryTokenCache systemCache = new InMemoryTokenCache(8, 8, Duration.ofSeconds(1));
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(2), Duration.ofSeconds(1),
				systemCache, Clock.systemUTC());
		String first = token(manager);
		CountDownLatch tokenResponses = this.idp.holdTokenResponses();
		try {
			// Every hit returns at once: a caller that asked the held endpoint would hang and
			// fail the wait.
			await().atMost(Duration.ofSeconds(20)).until(() -> {
				assertThat(token(manager)).isEqualTo(first);
				return this.idp.tokenRequests() == 2;
			});
			assertThat(manager.isRefreshing(this.key)).isTrue();
		}
		finally {
			tokenResponses.countDown();
		}
		await().until(() -> !token(manager).equals(first));
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@Test
	void aHitBeforeTheRefreshWindowStartsNoRequest() {
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(60));
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(95));
		assertThat(token(manager)).isEqualTo(first);
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(1);
	}

	@Test
	void aTokenThatLeftTheCacheIsServedUntilItReallyExpiresWhileTheIdentityProviderFails() {
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		// The background retries wait in real time, and so does the backoff they honour.
		manager.setTokenEndpointBackoff(new TokenEndpointBackoff(Clock.systemUTC()));
		String first = token(manager);
		// Out of the cache, not yet really expired.
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThat(token(manager)).isEqualTo(first);
		assertThat(manager.isRefreshing(this.key)).isTrue();
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
	void aReallyExpiredTokenIsNeverServed() {
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(-1));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThatExceptionOfType(OAuth2AuthorizationException.class).isThrownBy(() -> token(manager));
		assertThat(manager.isRefreshing(this.key)).isFalse();
	}

	@Test
	void anErrorThatCannotHealFailsAtOnceWithoutServingStaleOrRetrying() {
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ZERO);
		token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 400, "invalid_client");
		assertThatExceptionOfType(OAuth2AuthorizationException.class).isThrownBy(() -> token(manager))
			.satisfies((ex) -> assertThat(ex.getError().getErrorCode()).isEqualTo("invalid_client"));
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@Test
	void aBackgroundRefreshThatCannotHealIsTriedOnceAndHitsKeepTheCachedToken() {
		CachingOAuth2AuthorizedClientManager manager = manager(Duration.ofSeconds(60));
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(55));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 401, "invalid_client");
		assertThat(token(manager)).isEqualTo(first);
		await().until(() -> this.idp.tokenRequests() == 2 && !manager.isRefreshing(this.key));
		for (int i = 0; i < 20; i++) {
			assertThat(token(manager)).isEqualTo(first);
		}
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@Test
	void aHungIdentityProviderReleasesEveryWaitingCallerWithAnErrorAfterTheTimeout() {
		TokenCacheContexts.runner(this.idp)
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.clock))
			.withPropertyValues("dexpace.token-cache.token-request-timeout=300ms")
			.run((context) -> {
				OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
				CountDownLatch tokenResponses = this.idp.holdTokenResponses();
				ExecutorService threads = Executors.newFixedThreadPool(8);
				try {
					List<CompletableFuture<OAuth2AuthorizedClient>> calls = new ArrayList<>();
					for (int i = 0; i < 8; i++) {
						calls.add(CompletableFuture.supplyAsync(() -> manager.authorize(request()), threads));
					}
					for (CompletableFuture<OAuth2AuthorizedClient> call : calls) {
						assertThat(call).failsWithin(Duration.ofSeconds(20))
							.withThrowableOfType(java.util.concurrent.ExecutionException.class)
							.havingCause()
							.isInstanceOf(OAuth2AuthorizationException.class);
					}
				}
				finally {
					tokenResponses.countDown();
					threads.shutdownNow();
				}
				// The first call after the backoff that followed the timeout gets a token.
				this.clock.advance(Duration.ofMinutes(1));
				assertThat(manager.authorize(request())).isNotNull();
			});
	}

	private CachingOAuth2AuthorizedClientManager manager(Duration refreshAhead) {
		return manager(refreshAhead, BUFFER, this.cache, this.clock);
	}

	private CachingOAuth2AuthorizedClientManager manager(Duration refreshAhead, Duration expiryBuffer,
			InMemoryTokenCache cache, Clock clock) {
		ClientRegistration registration = ClientRegistration.withRegistrationId("api")
			.clientId("app")
			.clientSecret("app-secret")
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope("api.read")
			.tokenUri(this.idp.tokenUri())
			.build();
		InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registration);
		AuthorizedClientServiceOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				registrations, new NoStoreOAuth2AuthorizedClientService());
		delegate.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
		CachingOAuth2AuthorizedClientManager manager = new CachingOAuth2AuthorizedClientManager(delegate,
				registrations, cache, new DefaultTokenKeyResolver(), new TokenLifetimeResolver(Duration.ofMinutes(5), clock),
				clock);
		manager.setExpiryBuffer(expiryBuffer);
		manager.setRefreshAhead(refreshAhead);
		this.managers.add(manager);
		return manager;
	}

	private static String token(CachingOAuth2AuthorizedClientManager manager) {
		return manager.authorize(request()).getAccessToken().getTokenValue();
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
