package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.ReactiveTokenFetchLock;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListener.PendingTokenRequest;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.util.Assert;

/**
 * The reactive twin of {@link CachingOAuth2AuthorizedClientManager}: a
 * {@link ReactiveTokenCache} in front of a delegate {@link ReactiveOAuth2AuthorizedClientManager}.
 * Tokens of registrations the {@link TokenKeyResolver} keys are served from the cache; on
 * a miss exactly one delegate call per key runs (single-flight) and every subscriber that
 * missed meanwhile gets its token or its error. A subscriber that cancels stops waiting,
 * nothing more: the token request goes on for the others and fills the cache.
 * <p>
 * A failing cache never fails a call: a read that fails is a miss, a write that fails is
 * skipped, and the failure is logged once per burst. Nothing here blocks.
 * <p>
 * With a {@link #setFetchLock(ReactiveTokenFetchLock) fetch lock}, single-flight spans the
 * instances of a fleet as in the blocking manager; a waiter polls the cache on a timer,
 * without holding a thread.
 * <p>
 * Refresh-ahead and stale-if-error work as in the blocking manager: a hit on a token
 * inside its {@link #setRefreshAhead(Duration) refresh window} returns it at once and
 * starts one background refresh for its key, and while the identity provider fails with
 * an error that may heal, the last token of an application key is served until it really
 * expires. Background refreshes run on the same small pool of daemon threads as the
 * blocking manager's (never on an event loop), where they wait for the reactive token
 * request.
 *
 * @since 0.1.0
 */
public final class CachingReactiveOAuth2AuthorizedClientManager
		implements ReactiveOAuth2AuthorizedClientManager, TokenCacheListenerAware, AutoCloseable {

	private static final Log logger = LogFactory.getLog(CachingReactiveOAuth2AuthorizedClientManager.class);

	/**
	 * The longest a background refresh thread waits for one attempt; the token request
	 * timeout and the fleet lease end it much sooner.
	 */
	private static final Duration REFRESH_ATTEMPT_BOUND = Duration.ofMinutes(2);

	private final ReactiveOAuth2AuthorizedClientManager delegate;

	private final ReactiveOAuth2AuthorizedClientManager passThrough;

	private final ReactiveClientRegistrationRepository registrations;

	private final ReactiveTokenCache cache;

	private final TokenKeyResolver keyResolver;

	private final TokenLifetimeResolver lifetimeResolver;

	private final Clock clock;

	private final ReactiveSingleFlight<TokenKey, CachedToken> flights = new ReactiveSingleFlight<>();

	private final CacheFaults faults = new CacheFaults();

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	private volatile @Nullable ReactiveTokenFetchLock fetchLock;

	private final BackgroundRefresher refresher = new BackgroundRefresher();

	// The last token of each application key, served while the identity provider fails.
	private final ConcurrentMap<TokenKey, CachedToken> lastTokens = new ConcurrentHashMap<>();

	private Duration refreshAhead = Duration.ZERO;

	private Duration expiryBuffer = Duration.ZERO;

	private volatile RefreshSchedule schedule = new RefreshSchedule(Duration.ZERO, Duration.ZERO);

	// Where background refreshes are handed to the refresher from, off the event loop.
	private volatile Scheduler handOff = Schedulers.boundedElastic();

	/**
	 * Create a manager.
	 * @param delegate the manager that obtains tokens on a miss; it should not keep its
	 * own copy of tokens (see {@link NoStoreReactiveOAuth2AuthorizedClientService})
	 * @param registrations the client registrations
	 * @param cache the token cache
	 * @param keyResolver derives cache keys
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param clock the clock that tells the current time
	 */
	public CachingReactiveOAuth2AuthorizedClientManager(ReactiveOAuth2AuthorizedClientManager delegate,
			ReactiveClientRegistrationRepository registrations, ReactiveTokenCache cache, TokenKeyResolver keyResolver,
			TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this(delegate, delegate, registrations, cache, keyResolver, lifetimeResolver, clock);
	}

	/**
	 * Create a manager with a separate delegate for the registrations that are not
	 * cached, such as authorization_code logins.
	 * @param delegate the manager that obtains cached tokens on a miss
	 * @param passThrough the manager for requests the {@link TokenKeyResolver} does not key
	 * @param registrations the client registrations
	 * @param cache the token cache
	 * @param keyResolver derives cache keys
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param clock the clock that tells the current time
	 */
	public CachingReactiveOAuth2AuthorizedClientManager(ReactiveOAuth2AuthorizedClientManager delegate,
			ReactiveOAuth2AuthorizedClientManager passThrough, ReactiveClientRegistrationRepository registrations,
			ReactiveTokenCache cache, TokenKeyResolver keyResolver, TokenLifetimeResolver lifetimeResolver,
			Clock clock) {
		this.delegate = delegate;
		this.passThrough = passThrough;
		this.registrations = registrations;
		this.cache = cache;
		this.keyResolver = keyResolver;
		this.lifetimeResolver = lifetimeResolver;
		this.clock = clock;
	}

	/**
	 * Coordinate token requests for a missing key with the other instances of a fleet
	 * through a lease, or not at all ({@code null}, the default).
	 * @param fetchLock the lock, usually the shared token cache itself
	 */
	public void setFetchLock(@Nullable ReactiveTokenFetchLock fetchLock) {
		this.fetchLock = fetchLock;
	}

	/**
	 * Refresh tokens in the background from this long before they leave the cache, as
	 * {@link CachingOAuth2AuthorizedClientManager#setRefreshAhead(Duration)} does. Zero
	 * (the default) turns refresh-ahead off.
	 * @param refreshAhead the window; not negative
	 */
	public void setRefreshAhead(Duration refreshAhead) {
		Assert.isTrue(!refreshAhead.isNegative(), "refreshAhead must not be negative");
		this.refreshAhead = refreshAhead;
		this.schedule = new RefreshSchedule(this.refreshAhead, this.expiryBuffer);
	}

	/**
	 * Tell the manager how long before their real expiry the cache drops tokens (the
	 * cache's own expiry buffer), so refreshes start before that.
	 * @param expiryBuffer the cache's expiry buffer; not negative
	 */
	public void setExpiryBuffer(Duration expiryBuffer) {
		Assert.isTrue(!expiryBuffer.isNegative(), "expiryBuffer must not be negative");
		this.expiryBuffer = expiryBuffer;
		this.schedule = new RefreshSchedule(this.refreshAhead, this.expiryBuffer);
	}

	@Override
	public Mono<OAuth2AuthorizedClient> authorize(OAuth2AuthorizeRequest authorizeRequest) {
		return authorize(authorizeRequest, null);
	}

	/**
	 * Stop the background refreshes.
	 */
	@Override
	public void close() {
		this.refresher.close();
	}

	@Override
	public void setListener(TokenCacheListener listener) {
		this.listener = listener;
	}

	/**
	 * Drop a token the resource server rejected and authorize again: the rejected token is
	 * deleted only while the cache still holds it, and the new token is never the rejected
	 * one, even if the delegate kept a copy of it.
	 * @param authorizeRequest the request that was authorized with the rejected token
	 * @param rejected the rejected access token
	 * @return the authorized client with a new token, or empty
	 */
	public Mono<OAuth2AuthorizedClient> reauthorize(OAuth2AuthorizeRequest authorizeRequest,
			OAuth2AccessToken rejected) {
		return invalidate(authorizeRequest, rejected).then(authorize(authorizeRequest, rejected));
	}

	/**
	 * Delete a token the resource server rejected, only while the cache still holds it.
	 * @param authorizeRequest the request that was authorized with the rejected token
	 * @param rejected the rejected access token
	 * @return completes when the token is no longer cached
	 */
	public Mono<Void> invalidate(OAuth2AuthorizeRequest authorizeRequest, OAuth2AccessToken rejected) {
		return registration(authorizeRequest)
			.mapNotNull((registration) -> this.keyResolver.resolve(registration, authorizeRequest.getPrincipal()))
			.flatMap((key) -> {
				// Never served stale again.
				this.lastTokens.remove(key);
				CachedToken token = new CachedToken(rejected.getTokenValue(), rejected.getTokenType().getValue(),
						rejected.getScopes(), null, Instant.EPOCH);
				return guarded("delete", () -> this.cache.delete(key, token)).doOnSuccess((done) -> this.listener
					.invalidated(key.kind(), TokenCacheListener.InvalidationCause.UNAUTHORIZED));
			});
	}

	private Mono<OAuth2AuthorizedClient> authorize(OAuth2AuthorizeRequest authorizeRequest,
			@Nullable OAuth2AccessToken rejected) {
		return registration(authorizeRequest).map(Optional::of)
			.defaultIfEmpty(Optional.empty())
			.flatMap((found) -> {
				ClientRegistration registration = found.orElse(null);
				TokenKey key = (registration != null)
						? this.keyResolver.resolve(registration, authorizeRequest.getPrincipal()) : null;
				if (registration == null || key == null) {
					return this.passThrough.authorize(authorizeRequest);
				}
				if (SubjectTokens.hasExpired(key, authorizeRequest.getPrincipal(), this.clock.millis())) {
					// Nothing cached outlives the user's own token: the identity provider judges it.
					return observed(key, this.delegate.authorize(authorizeRequest));
				}
				return obtain(key, registration, authorizeRequest, rejected)
					.map((token) -> new OAuth2AuthorizedClient(registration, authorizeRequest.getPrincipal().getName(),
							accessToken(token)));
			});
	}

	private Mono<CachedToken> obtain(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		return read(key).filter((cached) -> usable(cached, rejected)).doOnNext((cached) -> {
			this.listener.lookup(key.kind(), true);
			hit(key, registration, authorizeRequest, cached);
		})
			.switchIfEmpty(Mono.<CachedToken>fromRunnable(() -> this.listener.lookup(key.kind(), false)))
			.switchIfEmpty(Mono.defer(() -> miss(key, registration, authorizeRequest, rejected)));
	}

	/**
	 * A hit: remember the token of an application key, and start its background refresh
	 * once it is due.
	 */
	private void hit(TokenKey key, ClientRegistration registration, OAuth2AuthorizeRequest authorizeRequest,
			CachedToken cached) {
		remember(key, cached);
		if (this.clock.millis() >= this.schedule.refreshAtMillis(cached) && !this.refresher.isActive(key)
				&& SubjectTokens.mayRefresh(key, cached, authorizeRequest.getPrincipal())) {
			startInBackground(key, () -> refreshInBackground(key, registration, authorizeRequest, cached));
		}
	}

	/**
	 * A miss: load the token, or serve the last token of the key while the identity
	 * provider fails and that token has not really expired.
	 */
	private Mono<CachedToken> miss(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		CachedToken last = this.lastTokens.get(key);
		if (last != null && this.refresher.isActive(key) && usableWhenStale(last, rejected)) {
			// A refresh is already failing and being retried: do not make this caller wait.
			return Mono.just(last);
		}
		return this.flights.run(key, () -> load(key, registration, authorizeRequest, rejected)).flatMap((token) -> {
			if (rejected != null && token.tokenValue().equals(rejected.getTokenValue())) {
				// Joined a load that started before the rejection: load once more on our own terms.
				return this.flights.run(key, () -> load(key, registration, authorizeRequest, rejected));
			}
			return Mono.just(token);
		}).onErrorResume((ex) -> {
			CachedToken stale = this.lastTokens.get(key);
			if (stale == null || TokenRequestErrors.isPermanent(ex) || !usableWhenStale(stale, rejected)) {
				return Mono.error(ex);
			}
			startInBackground(key, () -> {
				if (refreshInBackground(key, registration, authorizeRequest, stale) && logger.isWarnEnabled()) {
					logger.warn("Token request for " + key + " failed (" + TokenRequestErrors.describe(ex)
							+ "); serving the last token until it really expires at " + stale.expiresAt()
							+ " while retrying in the background");
				}
			});
			return Mono.just(stale);
		});
	}

	private boolean usableWhenStale(CachedToken token, @Nullable OAuth2AccessToken rejected) {
		return this.clock.millis() < RefreshSchedule.usableUntilMillis(token) && usable(token, rejected);
	}

	private void remember(TokenKey key, CachedToken token) {
		if (key.kind() != TokenKind.SYSTEM) {
			return;
		}
		CachedToken known = this.lastTokens.get(key);
		if (known == token || (known != null && known.sameTokenAs(token) && known.expiresAt().equals(token.expiresAt()))) {
			return;
		}
		if (known != null || this.lastTokens.size() < AuthorizedTokens.MAX_REMEMBERED) {
			this.lastTokens.put(key, token);
		}
	}

	/**
	 * Hand a background refresh to the refresher from the hand-off scheduler. A scheduler
	 * that is full (the application's own blocking work has taken every bounded elastic
	 * thread and queue slot) must not fail the caller, who holds a usable token: the
	 * refresh is skipped, and the next hit in the refresh window tries again.
	 */
	private void startInBackground(TokenKey key, Runnable refresh) {
		try {
			this.handOff.schedule(refresh);
		}
		catch (RejectedExecutionException ex) {
			if (logger.isDebugEnabled()) {
				logger.debug("Background refresh of " + key + " not started now, its scheduler is full: "
						+ ex.getClass().getSimpleName());
			}
		}
	}

	/**
	 * Use another scheduler to hand background refreshes to the refresher from, for tests.
	 * @param handOff the scheduler, {@link Schedulers#boundedElastic()} by default
	 */
	void setHandOffScheduler(Scheduler handOff) {
		this.handOff = handOff;
	}

	/**
	 * Start a background refresh of a cached token unless one runs already. Handing a task
	 * to the refresher's pool may wait for its queue's lock, so callers on an event loop
	 * start it from the bounded elastic scheduler.
	 * @return whether this call started it
	 */
	private boolean refreshInBackground(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, CachedToken current) {
		return this.refresher.start(key, this.clock.millis(),
				(attempt) -> refreshAttempt(key, registration, authorizeRequest, current, attempt));
	}

	/**
	 * One attempt of a background refresh, on a refresher thread: load a token other than
	 * the current one (or take the one another caller or instance wrote meanwhile).
	 * @return {@link BackgroundRefresher.Refresh#DONE}, or how long at least to wait
	 * before trying again
	 */
	private long refreshAttempt(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, CachedToken current, int attempt) {
		OAuth2AccessToken replacing = accessToken(current);
		try {
			// A TimeoutException, not block(Duration)'s IllegalStateException: a slow
			// identity provider is worth trying again, a programming error is not.
			this.flights.run(key, () -> load(key, registration, authorizeRequest, replacing))
				.timeout(REFRESH_ATTEMPT_BOUND)
				.block();
			return this.refresher.succeeded(key, attempt);
		}
		catch (RuntimeException ex) {
			return this.refresher.failed(key, Exceptions.unwrap(ex), current, attempt, this.expiryBuffer,
					this.clock);
		}
	}


	/**
	 * Return whether a background refresh of the key is queued, running or waiting to be
	 * retried.
	 * @param key the key
	 * @return whether a refresh is active
	 */
	boolean isRefreshing(TokenKey key) {
		return this.refresher.isActive(key);
	}

	private Mono<CachedToken> load(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		// Another load may have finished between our miss and the start of this one.
		return read(key).filter((cached) -> usable(cached, rejected)).switchIfEmpty(Mono.defer(() -> {
			ReactiveTokenFetchLock lock = this.fetchLock;
			if (lock == null) {
				return fetch(key, registration, authorizeRequest, rejected);
			}
			LeaseWait wait = new LeaseWait(lock.leaseTime(), System::nanoTime);
			return loadUnderLease(lock, wait, key, registration, authorizeRequest, rejected);
		}));
	}

	/**
	 * Fetch while holding the key's lease, or poll the cache on a timer for the token of
	 * the instance that holds it, as the blocking manager does.
	 */
	private Mono<CachedToken> loadUnderLease(ReactiveTokenFetchLock lock, LeaseWait wait, TokenKey key,
			ClientRegistration registration, OAuth2AuthorizeRequest authorizeRequest,
			@Nullable OAuth2AccessToken rejected) {
		Mono<ReactiveTokenFetchLock.Lease> lease = Mono.defer(() -> lock.tryLock(key)).onErrorResume((ex) -> {
			this.faults.failed("lock", asRuntime(ex));
			this.listener.cacheError("lock");
			return Mono.just(Mono::empty);
		});
		return lease.map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap((held) -> {
			if (held.isPresent()) {
				boolean waited = wait.polls() > 0;
				Mono<CachedToken> underLease = (waited ? read(key) : Mono.<CachedToken>empty())
					.filter((cached) -> usable(cached, rejected))
					.doOnNext((cached) -> leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TOKEN))
					.switchIfEmpty(Mono.defer(() -> {
						if (waited) {
							leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TAKEN_OVER);
						}
						return fetch(key, registration, authorizeRequest, rejected);
					}));
				return Mono.usingWhen(Mono.just(held.get()), (acquired) -> underLease,
						(acquired) -> guarded("unlock", acquired::release));
			}
			if (wait.isOver()) {
				leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.GAVE_UP);
				return fetch(key, registration, authorizeRequest, rejected);
			}
			return Mono.delay(Duration.ofMillis(wait.nextDelayMillis()))
				.then(read(key))
				.filter((cached) -> usable(cached, rejected))
				.doOnNext((cached) -> leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TOKEN))
				.switchIfEmpty(Mono
					.defer(() -> loadUnderLease(lock, wait, key, registration, authorizeRequest, rejected)));
		});
	}

	private void leaseWaited(TokenKey key, TokenCacheListener.LeaseWaitOutcome outcome) {
		this.listener.leaseWaited(key.kind(), outcome);
	}

	private Mono<CachedToken> fetch(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		return observed(key, this.delegate.authorize(delegateRequest(registration, authorizeRequest, rejected)))
			.flatMap((client) -> {
				OAuth2AccessToken accessToken = client.getAccessToken();
				CachedToken token = SubjectTokens.bounded(key,
						new CachedToken(accessToken.getTokenValue(), accessToken.getTokenType().getValue(),
								accessToken.getScopes(), accessToken.getIssuedAt(),
								this.lifetimeResolver.resolve(accessToken)),
						authorizeRequest.getPrincipal());
				if (logger.isDebugEnabled()) {
					logger.debug("Fetched token for " + key + ", expires at " + token.expiresAt());
				}
				remember(key, token);
				return guarded("put", () -> this.cache.put(key, token)).thenReturn(token);
			});
	}

	/**
	 * Tell the listener about a token request, once, however it ends: with a token,
	 * empty, with an error, or cancelled by every subscriber.
	 */
	private <T> Mono<T> observed(TokenKey key, Mono<T> request) {
		return Mono.defer(() -> {
			PendingTokenRequest pending = this.listener.tokenRequestStarted(key.registrationId(), key.kind());
			AtomicBoolean done = new AtomicBoolean();
			return request.doOnSuccess((result) -> {
				if (done.compareAndSet(false, true)) {
					pending.finished(result != null);
				}
			}).doOnError((ex) -> {
				if (done.compareAndSet(false, true)) {
					pending.failed(ex);
				}
			}).doOnCancel(() -> {
				if (done.compareAndSet(false, true)) {
					pending.failed(new CancellationException("The token request was cancelled"));
				}
			});
		});
	}

	/**
	 * After a rejection, hand the delegate an expired copy of the rejected token, so that
	 * a delegate which keeps its own copy fetches a new token instead of returning it.
	 */
	private OAuth2AuthorizeRequest delegateRequest(ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		if (rejected == null) {
			return authorizeRequest;
		}
		Instant now = this.clock.instant();
		OAuth2AccessToken expired = new OAuth2AccessToken(rejected.getTokenType(), rejected.getTokenValue(),
				now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)), rejected.getScopes());
		Authentication principal = authorizeRequest.getPrincipal();
		return OAuth2AuthorizeRequest
			.withAuthorizedClient(new OAuth2AuthorizedClient(registration, principal.getName(), expired))
			.principal(principal)
			.attributes((attributes) -> attributes.putAll(authorizeRequest.getAttributes()))
			.build();
	}

	private Mono<ClientRegistration> registration(OAuth2AuthorizeRequest authorizeRequest) {
		OAuth2AuthorizedClient client = authorizeRequest.getAuthorizedClient();
		if (client != null) {
			return Mono.just(client.getClientRegistration());
		}
		return this.registrations.findByRegistrationId(authorizeRequest.getClientRegistrationId());
	}

	private static boolean usable(CachedToken token, @Nullable OAuth2AccessToken rejected) {
		return rejected == null || !token.tokenValue().equals(rejected.getTokenValue());
	}

	private Mono<CachedToken> read(TokenKey key) {
		return Mono.defer(() -> this.cache.get(key)).doOnSuccess((token) -> this.faults.succeeded()).onErrorResume((ex) -> {
			this.faults.failed("get", asRuntime(ex));
			this.listener.cacheError("get");
			return Mono.empty();
		});
	}

	private Mono<Void> guarded(String operation, Supplier<Mono<Void>> action) {
		return Mono.defer(action).doOnSuccess((done) -> this.faults.succeeded()).onErrorResume((ex) -> {
			this.faults.failed(operation, asRuntime(ex));
			this.listener.cacheError(operation);
			return Mono.empty();
		});
	}

	private static RuntimeException asRuntime(Throwable ex) {
		return (ex instanceof RuntimeException runtime) ? runtime : new IllegalStateException(ex);
	}

	private static OAuth2AccessToken accessToken(CachedToken token) {
		Instant issuedAt = token.issuedAt();
		if (issuedAt != null && !token.expiresAt().isAfter(issuedAt)) {
			issuedAt = null;
		}
		return new OAuth2AccessToken(tokenType(token.tokenType()), token.tokenValue(), issuedAt, token.expiresAt(),
				token.scopes());
	}

	private static OAuth2AccessToken.TokenType tokenType(String value) {
		return OAuth2AccessToken.TokenType.DPOP.getValue().equalsIgnoreCase(value) ? OAuth2AccessToken.TokenType.DPOP
				: OAuth2AccessToken.TokenType.BEARER;
	}

	/**
	 * Return how many cache operations failed since start-up.
	 * @return the number of failed cache operations
	 */
	public long cacheFailures() {
		return this.faults.failures();
	}

	/**
	 * Return how many keys have a token request in flight.
	 * @return the number of token requests in flight
	 */
	public int tokenRequestsInFlight() {
		return this.flights.size();
	}

	/**
	 * Return the manager this one delegates to on a miss.
	 * @return the delegate
	 */
	public ReactiveOAuth2AuthorizedClientManager getDelegate() {
		return this.delegate;
	}

	/**
	 * Return the token cache in front of the delegate.
	 * @return the cache
	 */
	public ReactiveTokenCache getCache() {
		return this.cache;
	}

	@Override
	public String toString() {
		return "CachingReactiveOAuth2AuthorizedClientManager[cache=" + this.cache + ", delegate="
				+ this.delegate.getClass().getName() + "]";
	}

}
