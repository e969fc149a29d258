package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.endpoint.ReactiveTokenEndpointClients;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.endpoint.TokenEndpointClients;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.memory.InMemoryReactiveTokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.context.ApplicationContext;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Refresh-ahead, stale-if-error and token request timeouts of the blocking and the
 * reactive caching manager alike, on a clock the test moves, against a real token
 * endpoint: nobody waits for the identity provider while a usable token exists. Every
 * shared case runs once per {@link Facade}; the cases of the reactive hand-off scheduler
 * exist for the reactive manager only.
 */
class TokenRefreshIT {

	private static final Duration LIFETIME = Duration.ofSeconds(600);

	private static final Duration BUFFER = Duration.ofSeconds(30);

	private static final Duration WAIT = Facade.WAIT;

	private final TestIdentityProvider idp = new TestIdentityProvider().lifetime(LIFETIME);

	private final TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			List.of("api.read"), null);

	private final AtomicLong nanos = new AtomicLong();

	private final MovableClock clock = new MovableClock(Instant.now());

	private final InMemoryTokenCache cache = new InMemoryTokenCache(8, 8, BUFFER, this.clock, this.nanos::get);

	private final List<Runnable> closers = new ArrayList<>();

	@AfterEach
	void stop() {
		this.closers.forEach(Runnable::run);
		this.idp.close();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aTokenAboutToLeaveTheCacheIsServedWhileOneBackgroundRequestFetchesTheNext(Facade facade) {
		Manager manager = manager(facade, Duration.ofSeconds(60));
		String first = token(manager);
		// The token leaves the cache 30 s before it expires; its refresh is due between 60 s
		// and 30 s before that.
		moveToBeforeExpiry(Duration.ofSeconds(55));
		CountDownLatch tokenResponses = this.idp.holdTokenResponses();
		try {
			// 20 callers, all served the current token while the request hangs
			assertThat(manager.tokens(20)).hasSize(20).containsOnly(first);
			await().until(() -> this.idp.tokenRequests() == 2);
			assertThat(manager.isRefreshing(this.key)).isTrue();
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
		await().until(() -> !manager.isRefreshing(this.key));
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void onTheSystemClockATimerTellsHitsThatTheRefreshIsDue(Facade facade) {
		// Real time: tokens live 8 s and leave the cache 1 s before; the refresh is due
		// between 2 s and 1 s before that, so from 5 s to 6 s after the token was issued.
		this.idp.lifetime(Duration.ofSeconds(8));
		InMemoryTokenCache systemCache = new InMemoryTokenCache(8, 8, Duration.ofSeconds(1));
		Manager manager = manager(facade, Duration.ofSeconds(2), Duration.ofSeconds(1), systemCache,
				Clock.systemUTC());
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

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aHitBeforeTheRefreshWindowStartsNoRequest(Facade facade) {
		Manager manager = manager(facade, Duration.ofSeconds(60));
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(95));
		assertThat(token(manager)).isEqualTo(first);
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(1);
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aTokenThatLeftTheCacheIsServedUntilItReallyExpiresWhileTheIdentityProviderFails(Facade facade) {
		Manager manager = manager(facade, Duration.ZERO);
		// The background retries wait in real time, and so does the backoff they honour.
		manager.setTokenEndpointBackoff(new TokenEndpointBackoff(Clock.systemUTC()));
		String first = token(manager);
		// Out of the cache, not yet really expired.
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThat(token(manager)).isEqualTo(first);
		if (facade == Facade.REST_CLIENT) {
			// The blocking manager starts the retrying refresh before the hit returns.
			assertThat(manager.isRefreshing(this.key)).isTrue();
		}
		// The reactive manager starts it off the caller's thread.
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

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aReallyExpiredTokenIsNeverServed(Facade facade) {
		Manager manager = manager(facade, Duration.ZERO);
		token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(-1));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThatExceptionOfType(OAuth2AuthorizationException.class).isThrownBy(() -> token(manager));
		assertThat(manager.isRefreshing(this.key)).isFalse();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void anErrorThatCannotHealFailsAtOnceWithoutServingStaleOrRetrying(Facade facade) {
		Manager manager = manager(facade, Duration.ZERO);
		token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 400, "invalid_client");
		assertThatExceptionOfType(OAuth2AuthorizationException.class).isThrownBy(() -> token(manager))
			.satisfies((ex) -> assertThat(ex.getError().getErrorCode()).isEqualTo("invalid_client"));
		assertThat(manager.isRefreshing(this.key)).isFalse();
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aBackgroundRefreshThatCannotHealIsTriedOnceAndHitsKeepTheCachedToken(Facade facade) {
		Manager manager = manager(facade, Duration.ofSeconds(60));
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

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aRejectedTokenIsNeverServedStale(Facade facade) {
		Manager manager = manager(facade, Duration.ZERO);
		OAuth2AuthorizedClient client = manager.authorize(request());
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		assertThatExceptionOfType(OAuth2AuthorizationException.class)
			.isThrownBy(() -> manager.reauthorize(request(), client.getAccessToken()));
		assertThat(manager.isRefreshing(this.key)).isFalse();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aHungIdentityProviderReleasesEveryWaitingCallerWithAnErrorAfterTheTimeout(Facade facade) {
		facade.runner(this.idp)
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.clock))
			.withPropertyValues("dexpace.token-cache.token-request-timeout=300ms")
			.run((context) -> {
				CountDownLatch tokenResponses = this.idp.holdTokenResponses();
				try {
					List<Throwable> failures = failuresOfCallersAtOnce(facade, context, 8);
					// A caller the busy machine starts after the timeout fails fast on the
					// backoff that followed it, with the same error.
					assertThat(failures).hasSize(8)
						.allSatisfy((failure) -> assertThat(failure).isInstanceOfSatisfying(
								OAuth2AuthorizationException.class, (error) -> assertThat(error.getError().getDescription())
									.contains("did not answer within 300 ms")));
					assertThat(this.idp.tokenRequests()).isOne();
				}
				finally {
					tokenResponses.countDown();
				}
				// The first call after the backoff that followed the timeout gets a token.
				this.clock.advance(Duration.ofMinutes(1));
				assertThat(facade.authorize(context, request())).isNotNull();
			});
	}

	@Test
	void aHitInTheRefreshWindowIsServedWhenTheSchedulerOfBackgroundRefreshesIsFull() {
		CachingReactiveOAuth2AuthorizedClientManager reactive = reactiveManager(Duration.ofSeconds(60), BUFFER,
				this.cache, this.clock);
		Manager manager = Manager.of(reactive);
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(55));
		ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new SynchronousQueue<>());
		Scheduler full = Schedulers.fromExecutorService(executor, "full");
		CountDownLatch release = fill(full, reactive);
		try {
			assertThat(token(manager)).isEqualTo(first);
			assertThat(manager.isRefreshing(this.key)).isFalse();
		}
		finally {
			release.countDown();
			full.dispose();
			executor.shutdown();
			reactive.setHandOffScheduler(Schedulers.boundedElastic());
		}
		// Once refreshes can be handed off again, the next hit starts one.
		assertThat(token(manager)).isEqualTo(first);
		await().until(() -> this.idp.tokenRequests() == 2);
	}

	@Test
	void aStaleTokenIsServedWhenTheSchedulerOfBackgroundRefreshesIsFull() {
		CachingReactiveOAuth2AuthorizedClientManager reactive = reactiveManager(Duration.ZERO, BUFFER, this.cache,
				this.clock);
		Manager manager = Manager.of(reactive);
		String first = token(manager);
		moveToBeforeExpiry(Duration.ofSeconds(20));
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new SynchronousQueue<>());
		Scheduler full = Schedulers.fromExecutorService(executor, "full");
		CountDownLatch release = fill(full, reactive);
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
	private static CountDownLatch fill(Scheduler scheduler, CachingReactiveOAuth2AuthorizedClientManager manager) {
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
		manager.setHandOffScheduler(scheduler);
		return release;
	}

	/**
	 * Authorize from {@code count} callers at once through the context's manager of the
	 * façade (threads for the blocking one, subscribers for the reactive one).
	 * @return what each caller failed with
	 */
	private static List<Throwable> failuresOfCallersAtOnce(Facade facade, ApplicationContext context, int count)
			throws InterruptedException {
		if (facade == Facade.WEB_CLIENT) {
			return Flux.range(0, count)
				.flatMap((i) -> context.getBean(ReactiveOAuth2AuthorizedClientManager.class)
					.authorize(request())
					.then(Mono.<Throwable>empty())
					.onErrorResume(Mono::just))
				.collectList()
				.block(WAIT);
		}
		ExecutorService threads = Executors.newFixedThreadPool(count);
		try {
			List<CompletableFuture<@Nullable OAuth2AuthorizedClient>> calls = new ArrayList<>();
			for (int i = 0; i < count; i++) {
				calls.add(CompletableFuture.supplyAsync(() -> facade.authorize(context, request()), threads));
			}
			List<Throwable> failures = new ArrayList<>();
			for (CompletableFuture<@Nullable OAuth2AuthorizedClient> call : calls) {
				try {
					call.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				}
				catch (ExecutionException ex) {
					failures.add(ex.getCause());
				}
				catch (java.util.concurrent.TimeoutException ex) {
					throw new AssertionError("A caller still waits", ex);
				}
			}
			return failures;
		}
		finally {
			threads.shutdownNow();
		}
	}

	private Manager manager(Facade facade, Duration refreshAhead) {
		return manager(facade, refreshAhead, BUFFER, this.cache, this.clock);
	}

	private Manager manager(Facade facade, Duration refreshAhead, Duration expiryBuffer, InMemoryTokenCache cache,
			Clock clock) {
		return switch (facade) {
			case REST_CLIENT -> Manager.of(blockingManager(refreshAhead, expiryBuffer, cache, clock));
			case WEB_CLIENT -> Manager.of(reactiveManager(refreshAhead, expiryBuffer, cache, clock));
		};
	}

	private CachingOAuth2AuthorizedClientManager blockingManager(Duration refreshAhead, Duration expiryBuffer,
			InMemoryTokenCache cache, Clock clock) {
		InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registration());
		AuthorizedClientServiceOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				registrations, new NoStoreOAuth2AuthorizedClientService());
		delegate.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials(
					(builder) -> builder.accessTokenResponseClient(new TokenEndpointClients(tokenEndpoint()).clientCredentials()))
			.build());
		CachingOAuth2AuthorizedClientManager manager = new CachingOAuth2AuthorizedClientManager(delegate,
				registrations, cache, new DefaultTokenKeyResolver(), new TokenLifetimeResolver(Duration.ofMinutes(5), clock),
				clock);
		manager.setExpiryBuffer(expiryBuffer);
		manager.setRefreshAhead(refreshAhead);
		this.closers.add(manager::close);
		return manager;
	}

	private CachingReactiveOAuth2AuthorizedClientManager reactiveManager(Duration refreshAhead, Duration expiryBuffer,
			InMemoryTokenCache cache, Clock clock) {
		InMemoryReactiveClientRegistrationRepository registrations = new InMemoryReactiveClientRegistrationRepository(
				registration());
		AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
				registrations, new NoStoreReactiveOAuth2AuthorizedClientService());
		delegate.setAuthorizedClientProvider(ReactiveOAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder
				.accessTokenResponseClient(new ReactiveTokenEndpointClients(tokenEndpoint()).clientCredentials()))
			.build());
		CachingReactiveOAuth2AuthorizedClientManager manager = new CachingReactiveOAuth2AuthorizedClientManager(
				delegate, registrations, new InMemoryReactiveTokenCache(cache), new DefaultTokenKeyResolver(),
				new TokenLifetimeResolver(Duration.ofMinutes(5), clock), clock);
		manager.setExpiryBuffer(expiryBuffer);
		manager.setRefreshAhead(refreshAhead);
		this.closers.add(manager::close);
		return manager;
	}

	private ClientRegistration registration() {
		return this.idp.registration("api", AuthorizationGrantType.CLIENT_CREDENTIALS);
	}

	/**
	 * The starter's token endpoint, for both façades: Spring's default reactive decoder
	 * logs token responses at TRACE, which the suite-wide leak check would report.
	 */
	private static TokenEndpoint tokenEndpoint() {
		return new TokenEndpoint(new ExpiryResolvingTokenResponseConverter(
				new TokenLifetimeResolver(Duration.ofMinutes(5), Clock.systemUTC()), Clock.systemUTC()),
				Duration.ofSeconds(30), (registrationId) -> TokenEndpoint.ACCESS_TOKEN_TYPE, null);
	}

	private static String token(Manager manager) {
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

	/**
	 * A caching manager of either façade, called as its callers would and waited for.
	 * @param authorize authorizes a request
	 * @param reauthorize authorizes a request again after its token was rejected
	 * @param tokens the tokens of {@code count} calls: one after the other on the test's
	 * thread for the blocking manager, all subscribed at once for the reactive one
	 * @param refreshing whether a key is being refreshed
	 * @param backoff sets the token endpoint backoff
	 */
	private record Manager(Function<OAuth2AuthorizeRequest, @Nullable OAuth2AuthorizedClient> authorize,
			BiFunction<OAuth2AuthorizeRequest, OAuth2AccessToken, @Nullable OAuth2AuthorizedClient> reauthorize,
			IntFunction<List<String>> tokens, Predicate<TokenKey> refreshing, Consumer<TokenEndpointBackoff> backoff) {

		static Manager of(CachingOAuth2AuthorizedClientManager manager) {
			return new Manager(manager::authorize, manager::reauthorize, (count) -> {
				List<String> tokens = new ArrayList<>();
				for (int i = 0; i < count; i++) {
					tokens.add(manager.authorize(request()).getAccessToken().getTokenValue());
				}
				return tokens;
			}, manager::isRefreshing, manager::setTokenEndpointBackoff);
		}

		static Manager of(CachingReactiveOAuth2AuthorizedClientManager manager) {
			return new Manager((request) -> manager.authorize(request).block(WAIT),
					(request, rejected) -> manager.reauthorize(request, rejected).block(WAIT),
					(count) -> Flux.range(0, count)
						.flatMap((i) -> manager.authorize(request()))
						.map((client) -> client.getAccessToken().getTokenValue())
						.collectList()
						.block(WAIT),
					manager::isRefreshing, manager::setTokenEndpointBackoff);
		}

		OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest request) {
			OAuth2AuthorizedClient client = this.authorize.apply(request);
			assertThat(client).isNotNull();
			return client;
		}

		@Nullable OAuth2AuthorizedClient reauthorize(OAuth2AuthorizeRequest request, OAuth2AccessToken rejected) {
			return this.reauthorize.apply(request, rejected);
		}

		List<String> tokens(int count) {
			return this.tokens.apply(count);
		}

		boolean isRefreshing(TokenKey key) {
			return this.refreshing.test(key);
		}

		void setTokenEndpointBackoff(TokenEndpointBackoff backoff) {
			this.backoff.accept(backoff);
		}

	}

}
