package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenFetchLock;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.AuthorizedTokens.AuthorizedToken;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.util.Assert;

/**
 * An {@link OAuth2AuthorizedClientManager} that puts a {@link TokenCache} in front of a
 * delegate manager. Tokens of registrations the {@link TokenKeyResolver} keys are served
 * from the cache; on a miss exactly one caller per key asks the delegate (single-flight)
 * and the others wait for its token or its error. Everything else goes to the delegate
 * unchanged.
 * <p>
 * A failing cache never fails a call: a read that fails is a miss, a write that fails is
 * skipped, and the failure is logged once per burst.
 * <p>
 * With {@link #setRefreshAhead(Duration) refresh-ahead}, a hit on a token close to leaving
 * the cache starts one background refresh and returns the current token at once. When a
 * token request fails with an error that may heal (a server error, a timeout), the last
 * token of an application key is served until it really expires while the request is
 * retried in the background with a growing, jittered delay; errors the identity provider
 * will repeat ({@code invalid_client}, {@code invalid_scope}, ...) fail at once.
 * <p>
 * A hit on an application (client_credentials) key allocates nothing: the authorized
 * client built for a cached token is handed out again for as long as the token is cached.
 * <p>
 * With a {@link #setFetchLock(TokenFetchLock) fetch lock} (the Redis cache of a fleet),
 * single-flight spans instances: on a miss the one caller of this instance takes the
 * key's lease before asking the delegate; if another instance holds it, the caller polls
 * the cache for that instance's token (see {@link LeaseWait}) and fetches on its own only
 * if none appears in twice the lease time. A background refresh that finds the lease
 * taken leaves the refresh to its holder.
 *
 * @since 0.1.0
 */
public final class CachingOAuth2AuthorizedClientManager
		implements OAuth2AuthorizedClientManager, TokenCacheListenerAware, AutoCloseable {

	private static final Log logger = LogFactory.getLog(CachingOAuth2AuthorizedClientManager.class);

	private final OAuth2AuthorizedClientManager delegate;

	private final OAuth2AuthorizedClientManager passThrough;

	private final ClientRegistrationRepository registrations;

	private final TokenCache cache;

	private final TokenKeyResolver keyResolver;

	private final TokenLifetimeResolver lifetimeResolver;

	private final Clock clock;

	private final SingleFlight<TokenKey, CachedToken> flights = new SingleFlight<>();

	private final CacheFaults faults = new CacheFaults();

	private final BackgroundRefresher refresher = new BackgroundRefresher();

	private Duration refreshAhead = Duration.ZERO;

	private Duration expiryBuffer = Duration.ZERO;

	private volatile AuthorizedTokens tokens;

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	private volatile @Nullable TokenFetchLock fetchLock;

	/**
	 * Create a manager.
	 * @param delegate the manager that obtains tokens on a miss; it should not keep its
	 * own copy of tokens (see {@link NoStoreOAuth2AuthorizedClientService})
	 * @param registrations the client registrations
	 * @param cache the token cache
	 * @param keyResolver derives cache keys
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param clock the clock that tells the current time
	 */
	public CachingOAuth2AuthorizedClientManager(OAuth2AuthorizedClientManager delegate,
			ClientRegistrationRepository registrations, TokenCache cache, TokenKeyResolver keyResolver,
			TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this(delegate, delegate, registrations, cache, keyResolver, lifetimeResolver, clock);
	}

	/**
	 * Create a manager with a separate delegate for the registrations that are not
	 * cached, such as authorization_code logins whose clients live in Spring Security's
	 * authorized client service.
	 * @param delegate the manager that obtains cached tokens on a miss
	 * @param passThrough the manager for requests the {@link TokenKeyResolver} does not key
	 * @param registrations the client registrations
	 * @param cache the token cache
	 * @param keyResolver derives cache keys
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param clock the clock that tells the current time
	 */
	public CachingOAuth2AuthorizedClientManager(OAuth2AuthorizedClientManager delegate,
			OAuth2AuthorizedClientManager passThrough, ClientRegistrationRepository registrations, TokenCache cache,
			TokenKeyResolver keyResolver, TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this.delegate = delegate;
		this.passThrough = passThrough;
		this.registrations = registrations;
		this.cache = cache;
		this.keyResolver = keyResolver;
		this.lifetimeResolver = lifetimeResolver;
		this.clock = clock;
		this.tokens = authorizedTokens();
	}

	/**
	 * Refresh tokens in the background from this long before they leave the cache, so
	 * that no caller waits for the identity provider while a usable token exists. Each
	 * token's refresh starts at a point drawn between the whole window and half of it, and
	 * the window never exceeds half a token's lifetime. Zero (the default) turns
	 * refresh-ahead off.
	 * @param refreshAhead the window; not negative
	 */
	public void setRefreshAhead(Duration refreshAhead) {
		Assert.isTrue(!refreshAhead.isNegative(), "refreshAhead must not be negative");
		this.refreshAhead = refreshAhead;
		this.tokens = authorizedTokens();
	}

	/**
	 * Tell the manager how long before their real expiry the cache drops tokens (the
	 * cache's own expiry buffer), so refreshes start before that.
	 * @param expiryBuffer the cache's expiry buffer; not negative
	 */
	public void setExpiryBuffer(Duration expiryBuffer) {
		Assert.isTrue(!expiryBuffer.isNegative(), "expiryBuffer must not be negative");
		this.expiryBuffer = expiryBuffer;
		this.tokens = authorizedTokens();
	}

	/**
	 * Coordinate token requests for a missing key with the other instances of a fleet
	 * through a lease, or not at all ({@code null}, the default).
	 * @param fetchLock the lock, usually the shared token cache itself
	 */
	public void setFetchLock(@Nullable TokenFetchLock fetchLock) {
		this.fetchLock = fetchLock;
	}

	/**
	 * On the system clock, a timer tells remembered tokens when their refresh is due, so a
	 * hit reads no clock for it; on any other clock (tests move theirs), hits read it.
	 */
	private AuthorizedTokens authorizedTokens() {
		RefreshSchedule schedule = new RefreshSchedule(this.refreshAhead, this.expiryBuffer);
		boolean systemClock = this.clock.equals(Clock.systemUTC()) || this.clock.equals(Clock.systemDefaultZone());
		return new AuthorizedTokens(schedule, systemClock ? this.refresher::schedule : null);
	}

	@Override
	public @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest authorizeRequest) {
		return authorize(authorizeRequest, null);
	}

	/**
	 * Drop a token the resource server rejected and authorize again: the rejected token is
	 * deleted only while the cache still holds it, and the new token is never the rejected
	 * one, even if the delegate kept a copy of it.
	 * @param authorizeRequest the request that was authorized with the rejected token
	 * @param rejected the rejected access token
	 * @return the authorized client with a new token, or {@code null}
	 */
	public @Nullable OAuth2AuthorizedClient reauthorize(OAuth2AuthorizeRequest authorizeRequest,
			OAuth2AccessToken rejected) {
		invalidate(authorizeRequest, rejected);
		return authorize(authorizeRequest, rejected);
	}

	/**
	 * Delete a token the resource server rejected, only while the cache still holds it.
	 * @param authorizeRequest the request that was authorized with the rejected token
	 * @param rejected the rejected access token
	 */
	public void invalidate(OAuth2AuthorizeRequest authorizeRequest, OAuth2AccessToken rejected) {
		ClientRegistration registration = registration(authorizeRequest);
		TokenKey key = (registration != null) ? this.keyResolver.resolve(registration, authorizeRequest.getPrincipal())
				: null;
		if (key != null) {
			this.tokens.forget(key);
			CachedToken token = new CachedToken(rejected.getTokenValue(), rejected.getTokenType().getValue(),
					rejected.getScopes(), null, Instant.EPOCH);
			guarded("delete", () -> this.cache.delete(key, token));
			this.listener.invalidated(key.kind(), TokenCacheListener.InvalidationCause.UNAUTHORIZED);
		}
	}

	/**
	 * Delete whatever token is cached for a registration and principal. Used where the
	 * rejected token is not known, as in Spring Security's own interceptor.
	 * @param registrationId the client registration id
	 * @param principal the principal
	 */
	public void invalidate(String registrationId, Authentication principal) {
		ClientRegistration registration = this.registrations.findByRegistrationId(registrationId);
		TokenKey key = (registration != null) ? this.keyResolver.resolve(registration, principal) : null;
		if (key != null) {
			this.tokens.forget(key);
			guarded("delete", () -> this.cache.delete(key));
			this.listener.invalidated(key.kind(), TokenCacheListener.InvalidationCause.UNAUTHORIZED);
		}
	}

	private @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest authorizeRequest,
			@Nullable OAuth2AccessToken rejected) {
		ClientRegistration registration = registration(authorizeRequest);
		if (registration == null) {
			return this.passThrough.authorize(authorizeRequest);
		}
		Authentication principal = authorizeRequest.getPrincipal();
		TokenKey key = this.keyResolver.resolve(registration, principal);
		if (key == null) {
			return this.passThrough.authorize(authorizeRequest);
		}
		if (SubjectTokens.hasExpired(key, principal, this.clock.millis())) {
			// Nothing cached outlives the user's own token: the identity provider judges it.
			return this.listener.tokenRequest(key.registrationId(), key.kind(),
					() -> this.delegate.authorize(authorizeRequest));
		}
		String rejectedValue = (rejected != null) ? rejected.getTokenValue() : null;
		CachedToken cached = read(key);
		boolean found = cached != null && !cached.tokenValue().equals(rejectedValue);
		this.listener.lookup(key.kind(), found);
		if (cached != null && found) {
			// The hit path: no token request, and for a system key no new object either.
			AuthorizedToken hit = this.tokens.of(key, registration, cached, principal);
			if (hit.isRefreshDue(this.clock) && SubjectTokens.mayRefresh(key, cached, principal)) {
				refreshInBackground(key, registration, authorizeRequest, hit.token());
			}
			return hit.client(principal);
		}
		AuthorizedToken token = fetch(key, registration, authorizeRequest, rejectedValue);
		return (token != null) ? token.client(principal) : null;
	}

	/**
	 * Fetch a token for a miss, or serve the last token of the key while the identity
	 * provider fails and that token has not really expired.
	 */
	private @Nullable AuthorizedToken fetch(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable String rejected) {
		AuthorizedToken last = this.tokens.last(key);
		if (last != null && this.refresher.isActive(key) && last.usableWhenStale(this.clock.millis(), rejected)) {
			// A refresh is already failing and being retried: do not make this caller wait.
			return last;
		}
		CachedToken token;
		try {
			token = obtain(key, registration, authorizeRequest, rejected);
		}
		catch (RuntimeException ex) {
			if (last == null || TokenRequestErrors.isPermanent(ex)
					|| !last.usableWhenStale(this.clock.millis(), rejected)) {
				throw ex;
			}
			if (refreshInBackground(key, registration, authorizeRequest, last.token()) && logger.isWarnEnabled()) {
				logger.warn("Token request for " + key + " failed (" + TokenRequestErrors.describe(ex)
						+ "); serving the last token until it really expires at " + last.token().expiresAt()
						+ " while retrying in the background");
			}
			return last;
		}
		return (token != null) ? this.tokens.of(key, registration, token, authorizeRequest.getPrincipal())
				: null;
	}

	private @Nullable CachedToken obtain(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable String rejected) {
		CachedToken token = this.flights.run(key, () -> load(key, registration, authorizeRequest, rejected));
		if (rejected != null && token != null && token.tokenValue().equals(rejected)) {
			// Joined a load that started before the rejection: load once more on our own terms.
			token = this.flights.run(key, () -> load(key, registration, authorizeRequest, rejected));
		}
		return token;
	}

	private @Nullable CachedToken load(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable String rejected) {
		// Another load may have finished between our miss and the start of this one.
		CachedToken cached = read(key);
		if (cached != null && !cached.tokenValue().equals(rejected)) {
			return cached;
		}
		TokenFetchLock lock = this.fetchLock;
		if (lock == null) {
			return fetchFromDelegate(key, registration, authorizeRequest, null, rejected);
		}
		return loadUnderLease(lock, key, registration, authorizeRequest, null, rejected);
	}

	/**
	 * Fetch while holding the key's lease, or wait for the instance that holds it to put
	 * its token in the cache.
	 */
	private @Nullable CachedToken loadUnderLease(TokenFetchLock lock, TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable CachedToken replacing, @Nullable String rejected) {
		LeaseWait wait = new LeaseWait(lock.leaseTime(), System::nanoTime);
		while (true) {
			TokenFetchLock.Lease lease = tryLock(lock, key);
			if (lease != null) {
				try {
					// The previous holder may have written its token just before letting go.
					CachedToken cached = (wait.polls() > 0) ? read(key) : null;
					if (isNewer(cached, replacing, rejected)) {
						this.listener.leaseWaited(key.kind(), TokenCacheListener.LeaseWaitOutcome.TOKEN);
						return cached;
					}
					if (wait.polls() > 0) {
						this.listener.leaseWaited(key.kind(), TokenCacheListener.LeaseWaitOutcome.TAKEN_OVER);
					}
					return fetchFromDelegate(key, registration, authorizeRequest, replacing, rejected);
				}
				finally {
					guarded("unlock", lease::release);
				}
			}
			if (wait.isOver() || !pause(wait.nextDelayMillis())) {
				if (logger.isDebugEnabled()) {
					logger.debug("No token for " + key + " from the instance holding its lease after "
							+ wait.polls() + " polls; fetching it here");
				}
				this.listener.leaseWaited(key.kind(), TokenCacheListener.LeaseWaitOutcome.GAVE_UP);
				return fetchFromDelegate(key, registration, authorizeRequest, replacing, rejected);
			}
			CachedToken cached = read(key);
			if (isNewer(cached, replacing, rejected)) {
				this.listener.leaseWaited(key.kind(), TokenCacheListener.LeaseWaitOutcome.TOKEN);
				return cached;
			}
		}
	}

	/**
	 * Whether a token read while waiting is the one the holder fetched: neither the
	 * rejected token nor the one being refreshed.
	 */
	private static boolean isNewer(@Nullable CachedToken cached, @Nullable CachedToken replacing,
			@Nullable String rejected) {
		return cached != null && !cached.tokenValue().equals(rejected)
				&& (replacing == null || !cached.sameTokenAs(replacing));
	}

	/**
	 * Take the lease; a lock that fails is no reason to fail or to wait.
	 */
	private TokenFetchLock.@Nullable Lease tryLock(TokenFetchLock lock, TokenKey key) {
		try {
			return lock.tryLock(key);
		}
		catch (RuntimeException ex) {
			this.faults.failed("lock", ex);
			this.listener.cacheError("lock");
			return () -> {
			};
		}
	}

	/**
	 * Wait between two polls.
	 * @return {@code false} if the thread was interrupted: stop waiting, keep the flag
	 */
	private static boolean pause(long millis) {
		try {
			Thread.sleep(millis);
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/**
	 * Start a background refresh of a cached token unless one runs already.
	 * @return whether this call started it
	 */
	private boolean refreshInBackground(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, CachedToken current) {
		return this.refresher.start(key, this.clock.millis(),
				(attempt) -> refreshAttempt(key, registration, authorizeRequest, current, attempt));
	}

	/**
	 * One attempt of a background refresh.
	 * @return {@link BackgroundRefresher.Refresh#DONE}, or how long at least to wait
	 * before trying again
	 */
	private long refreshAttempt(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, CachedToken current, int attempt) {
		try {
			this.flights.run(key, () -> refreshLoad(key, registration, authorizeRequest, current));
			return this.refresher.succeeded(key, attempt);
		}
		catch (RuntimeException ex) {
			return this.refresher.failed(key, ex, current, attempt, this.expiryBuffer, this.clock);
		}
	}


	private @Nullable CachedToken refreshLoad(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, CachedToken current) {
		CachedToken cached = read(key);
		if (cached != null && !cached.sameTokenAs(current)) {
			AuthorizedToken newer = this.tokens.of(key, registration, cached, authorizeRequest.getPrincipal());
			if (this.clock.millis() < newer.refreshAtMillis()) {
				// Another caller or instance refreshed it already.
				return cached;
			}
			current = cached;
		}
		TokenFetchLock lock = this.fetchLock;
		if (lock == null) {
			return fetchFromDelegate(key, registration, authorizeRequest, current, null);
		}
		// If another instance is refreshing this key, its token reaches us through the cache.
		return loadUnderLease(lock, key, registration, authorizeRequest, current, null);
	}

	/**
	 * Ask the delegate for a new token and cache it.
	 * @param replacing the token being replaced, handed to the delegate as expired so that
	 * a delegate which keeps its own copy fetches anew; {@code null} on a plain miss
	 * @param rejected the value of a token the resource server rejected, if any
	 */
	private @Nullable CachedToken fetchFromDelegate(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable CachedToken replacing, @Nullable String rejected) {
		OAuth2AuthorizeRequest request = delegateRequest(registration, authorizeRequest, replacing, rejected);
		OAuth2AuthorizedClient client = this.listener.tokenRequest(key.registrationId(), key.kind(),
				() -> this.delegate.authorize(request));
		if (client == null) {
			return null;
		}
		OAuth2AccessToken accessToken = client.getAccessToken();
		CachedToken token = SubjectTokens.bounded(key,
				new CachedToken(accessToken.getTokenValue(), accessToken.getTokenType().getValue(),
						accessToken.getScopes(), accessToken.getIssuedAt(), this.lifetimeResolver.resolve(accessToken)),
				authorizeRequest.getPrincipal());
		if (logger.isDebugEnabled()) {
			logger.debug("Fetched token for " + key + ", expires at " + token.expiresAt());
		}
		guarded("put", () -> this.cache.put(key, token));
		return token;
	}

	/**
	 * When a token is being replaced, hand the delegate an expired copy of it, so that a
	 * delegate which keeps its own copy fetches a new token instead of returning it.
	 */
	private OAuth2AuthorizeRequest delegateRequest(ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable CachedToken replacing, @Nullable String rejected) {
		String value = (rejected != null) ? rejected : (replacing != null) ? replacing.tokenValue() : null;
		if (value == null) {
			return authorizeRequest;
		}
		Instant now = this.clock.instant();
		OAuth2AccessToken expired = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, value,
				now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)));
		Authentication principal = authorizeRequest.getPrincipal();
		return OAuth2AuthorizeRequest
			.withAuthorizedClient(new OAuth2AuthorizedClient(registration, principal.getName(), expired))
			.principal(principal)
			.attributes((attributes) -> attributes.putAll(authorizeRequest.getAttributes()))
			.build();
	}

	private @Nullable ClientRegistration registration(OAuth2AuthorizeRequest authorizeRequest) {
		OAuth2AuthorizedClient client = authorizeRequest.getAuthorizedClient();
		if (client != null) {
			return client.getClientRegistration();
		}
		return this.registrations.findByRegistrationId(authorizeRequest.getClientRegistrationId());
	}

	private @Nullable CachedToken read(TokenKey key) {
		try {
			CachedToken token = this.cache.get(key);
			this.faults.succeeded();
			return token;
		}
		catch (RuntimeException ex) {
			this.faults.failed("get", ex);
			this.listener.cacheError("get");
			return null;
		}
	}

	private void guarded(String operation, Runnable action) {
		try {
			action.run();
			this.faults.succeeded();
		}
		catch (RuntimeException ex) {
			this.faults.failed(operation, ex);
			this.listener.cacheError(operation);
		}
	}

	/**
	 * Return whether a background refresh of the key is queued, running or waiting to be
	 * tried again.
	 * @param key the key
	 * @return whether a refresh is active
	 */
	boolean isRefreshing(TokenKey key) {
		return this.refresher.isActive(key);
	}

	/**
	 * Stop the background refreshes.
	 */
	@Override
	public void close() {
		this.refresher.close();
	}

	/**
	 * Report lookups, token requests, invalidations and cache errors to a listener.
	 * @param listener the listener
	 */
	@Override
	public void setListener(TokenCacheListener listener) {
		this.listener = listener;
	}

	/**
	 * Return how many cache operations failed since start-up.
	 * @return the number of failed cache operations
	 */
	public long cacheFailures() {
		return this.faults.failures();
	}

	/**
	 * Return the manager this one delegates to on a miss.
	 * @return the delegate
	 */
	public OAuth2AuthorizedClientManager getDelegate() {
		return this.delegate;
	}

	/**
	 * Return the token cache in front of the delegate.
	 * @return the cache
	 */
	public TokenCache getCache() {
		return this.cache;
	}

	@Override
	public String toString() {
		return "CachingOAuth2AuthorizedClientManager[cache=" + this.cache + ", delegate="
				+ this.delegate.getClass().getName() + "]";
	}

}
