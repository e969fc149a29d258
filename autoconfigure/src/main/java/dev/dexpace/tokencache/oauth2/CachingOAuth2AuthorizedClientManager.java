package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenEndpointBackoffStore;
import dev.dexpace.tokencache.TokenFetchLock;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.AuthorizedTokens.AuthorizedToken;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

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
 * With a {@link #setFetchLock fetch lock} (the Redis cache of a fleet),
 * single-flight spans instances: on a miss the one caller of this instance takes the
 * key's lease before asking the delegate; if another instance holds it, the caller polls
 * the cache for that instance's token (see {@link LeaseWait}) and fetches on its own only
 * if none appears in twice the lease time. A background refresh that finds the lease
 * taken leaves the refresh to its holder.
 * <p>
 * After a failed token request its endpoint is backed off from (see
 * {@link TokenEndpointBackoff}): until the backoff ends, a miss fails at once with the
 * error that says why, or is served its last usable token, and no token request is made.
 * With a {@link #setBackoffStore backoff store}, a wait the
 * endpoint announced ({@code Retry-After}) is shared with the fleet.
 * <p>
 * What it decides (hit, refresh due, miss, serving stale, what the delegate is asked) is
 * decided by the same policy as in {@link CachingReactiveOAuth2AuthorizedClientManager};
 * this class keeps only the blocking control flow.
 *
 * @since 0.1.0
 */
public final class CachingOAuth2AuthorizedClientManager
		extends AbstractCachingAuthorizedClientManager<OAuth2AuthorizedClientManager, TokenCache,
			TokenFetchLock, TokenEndpointBackoffStore>
		implements OAuth2AuthorizedClientManager {

	private final ClientRegistrationRepository registrations;

	private final SingleFlight<TokenKey, CachedToken> flights = new SingleFlight<>();

	private final SingleFlight<TokenKey, OAuth2AuthorizedClient> uncachedFlights = new SingleFlight<>();

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
		super(delegate, passThrough, cache, keyResolver, lifetimeResolver, clock);
		this.registrations = registrations;
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
		TokenKey key = key(registration(authorizeRequest), authorizeRequest.getPrincipal());
		if (key != null) {
			guarded("delete", () -> this.cache.delete(key, TokenPolicy.rejectedToken(rejected)));
			this.core.invalidated(key);
		}
	}

	/**
	 * Delete whatever token is cached for a registration and principal. Used where the
	 * rejected token is not known, as in Spring Security's own interceptor.
	 * @param registrationId the client registration id
	 * @param principal the principal
	 */
	public void invalidate(String registrationId, Authentication principal) {
		TokenKey key = key(this.registrations.findByRegistrationId(registrationId), principal);
		if (key != null) {
			guarded("delete", () -> this.cache.delete(key));
			this.core.invalidated(key);
		}
	}

	private @Nullable TokenKey key(@Nullable ClientRegistration registration, Authentication principal) {
		return (registration != null) ? this.keyResolver.resolve(registration, principal) : null;
	}

	private @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest authorizeRequest,
			@Nullable OAuth2AccessToken rejected) {
		ClientRegistration registration = registration(authorizeRequest);
		Authentication principal = authorizeRequest.getPrincipal();
		TokenKey key = key(registration, principal);
		if (registration == null || key == null) {
			return this.passThrough.authorize(authorizeRequest);
		}
		if (this.core.policy().bypassesCache(key, principal)) {
			// Nothing cached outlives the user's own token: the identity provider judges it,
			// one request per key at a time and not while its endpoint is backed off from.
			TokenRequest request = new TokenRequest(key, registration, authorizeRequest, rejected);
			return this.uncachedFlights.run(key, () -> {
				failFastIfBackingOff(request);
				return send(request, this.delegate, authorizeRequest);
			});
		}
		CachedToken cached = read(key);
		if (cached != null && (rejected == null || !cached.tokenValue().equals(rejected.getTokenValue()))) {
			// The hit path: no token request, and for a system key no new object either.
			AuthorizedToken hit = this.core.hit(key, registration, cached, principal);
			if (this.core.policy().isRefreshDue(key, hit, principal)) {
				this.core.startRefresh(key, refresh(new TokenRequest(key, registration, authorizeRequest, null),
						hit.token()));
			}
			return hit.client(principal);
		}
		this.core.listener().lookup(key.kind(), false);
		AuthorizedToken token = miss(new TokenRequest(key, registration, authorizeRequest, rejected));
		return (token != null) ? token.client(principal) : null;
	}

	/**
	 * Fetch a token for a miss, or serve the last token of the key while the identity
	 * provider fails and that token has not really expired.
	 */
	private @Nullable AuthorizedToken miss(TokenRequest request) {
		AuthorizedToken stale = this.core.staleWhileRetrying(request);
		if (stale != null) {
			return stale;
		}
		CachedToken token;
		try {
			token = obtain(request);
		}
		catch (RuntimeException ex) {
			AuthorizedToken last = this.core.staleAfter(request, ex);
			if (last == null) {
				throw ex;
			}
			this.core.retryInBackground(request, ex, last.token(), refresh(request, last.token()));
			return last;
		}
		return (token != null) ? this.core.obtained(request, token) : null;
	}

	private @Nullable CachedToken obtain(TokenRequest request) {
		CachedToken token = this.flights.run(request.key(), () -> load(request, null));
		if (token != null && !request.accepts(token)) {
			// Joined a load that started before the rejection: load once more on our own terms.
			token = this.flights.run(request.key(), () -> load(request, null));
		}
		return token;
	}

	/**
	 * Load a token: one another load put in the cache meanwhile, or one from the delegate.
	 * @param replacing the token a background refresh replaces; {@code null} on a miss
	 */
	private @Nullable CachedToken load(TokenRequest request, @Nullable CachedToken replacing) {
		CachedToken cached = read(request.key());
		if (replacing == null && request.accepts(cached)) {
			// Another load finished between our miss and the start of this one.
			return cached;
		}
		if (replacing != null && cached != null && !cached.sameTokenAs(replacing)) {
			if (this.core.isRefreshedAlready(request, cached)) {
				// Another caller or instance refreshed it already.
				return cached;
			}
			replacing = cached;
		}
		failFastIfBackingOff(request);
		TokenFetchLock lock = this.fetchLock;
		// If another instance is loading this key, its token reaches us through the cache.
		return (lock != null) ? loadUnderLease(lock, request, replacing) : fetch(request, replacing);
	}

	/**
	 * Fail at once while the token endpoint is backed off from, here or, for a wait it
	 * announced, anywhere in the fleet. The store is read only when this instance knows
	 * of no backoff, and only before a token request: a hit never reads it.
	 */
	private void failFastIfBackingOff(TokenRequest request) {
		OAuth2AuthorizationException backoff = this.core.backingOff(request);
		if (backoff != null) {
			throw backoff;
		}
		TokenEndpointBackoffStore store = this.backoffStore;
		String tokenUri = CachingCore.tokenUri(request);
		if (store == null || tokenUri == null) {
			return;
		}
		Duration remaining;
		try {
			remaining = store.busy(tokenUri);
		}
		catch (RuntimeException ex) {
			this.core.cacheFailed("backoff", ex);
			return;
		}
		if (remaining != null) {
			OAuth2AuthorizationException busy = this.core.busyElsewhere(request, remaining);
			if (busy != null) {
				throw busy;
			}
		}
	}

	/**
	 * Fetch while holding the key's lease, or wait for the instance that holds it to put
	 * its token in the cache.
	 */
	private @Nullable CachedToken loadUnderLease(TokenFetchLock lock, TokenRequest request,
			@Nullable CachedToken replacing) {
		TokenKey key = request.key();
		LeaseWait wait = new LeaseWait(lock.leaseTime(), System::nanoTime);
		while (true) {
			TokenFetchLock.Lease lease = tryLock(lock, key);
			if (lease != null) {
				try {
					// The previous holder may have written its token just before letting go.
					CachedToken cached = (wait.polls() > 0) ? read(key) : null;
					if (TokenPolicy.isNewer(request, cached, replacing)) {
						this.core.leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TOKEN, wait.polls());
						return cached;
					}
					if (wait.polls() > 0) {
						this.core.leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TAKEN_OVER, wait.polls());
					}
					return fetch(request, replacing);
				}
				finally {
					guarded("unlock", lease::release);
				}
			}
			if (wait.isOver() || !pause(wait.nextDelayMillis())) {
				this.core.leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.GAVE_UP, wait.polls());
				return fetch(request, replacing);
			}
			CachedToken cached = read(key);
			if (TokenPolicy.isNewer(request, cached, replacing)) {
				this.core.leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TOKEN, wait.polls());
				return cached;
			}
		}
	}

	/**
	 * Take the lease; a lock that fails is no reason to fail or to wait.
	 */
	private TokenFetchLock.@Nullable Lease tryLock(TokenFetchLock lock, TokenKey key) {
		try {
			return lock.tryLock(key);
		}
		catch (RuntimeException ex) {
			this.core.cacheFailed("lock", ex);
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
	 * The background refresh of a token: each attempt runs on a refresher thread.
	 */
	private BackgroundRefresher.Refresh refresh(TokenRequest request, CachedToken current) {
		TokenKey key = request.key();
		return (attempt, outcome) -> {
			long next;
			try {
				this.flights.run(key, () -> load(request, current));
				next = this.core.refreshSucceeded(key, attempt);
			}
			catch (RuntimeException ex) {
				next = this.core.refreshFailed(key, ex, current, attempt);
			}
			outcome.accept(next);
		};
	}

	/**
	 * Ask the delegate for a new token and cache it.
	 * @param replacing the token being replaced, handed to the delegate as expired;
	 * {@code null} on a plain miss
	 */
	private @Nullable CachedToken fetch(TokenRequest request, @Nullable CachedToken replacing) {
		// The backoff may have begun while this caller waited for another instance's lease.
		OAuth2AuthorizationException backoff = this.core.backingOff(request);
		if (backoff != null) {
			throw backoff;
		}
		OAuth2AuthorizedClient client = send(request, delegateFor(replacing),
				this.core.policy().delegateRequest(request, replacing));
		if (client == null) {
			return null;
		}
		CachedToken token = this.core.fetched(request, client);
		guarded("put", () -> this.cache.put(request.key(), token));
		return token;
	}

	/**
	 * Send a token request through a delegate, observed, and record its outcome in the
	 * backoff of its endpoint.
	 */
	private @Nullable OAuth2AuthorizedClient send(TokenRequest request, OAuth2AuthorizedClientManager manager,
			OAuth2AuthorizeRequest delegated) {
		OAuth2AuthorizedClient client;
		try {
			client = this.core.observations().observe(request.key(), () -> manager.authorize(delegated));
		}
		catch (RuntimeException ex) {
			CachingCore.Busy busy = this.core.tokenRequestFailed(request, ex);
			TokenEndpointBackoffStore store = this.backoffStore;
			if (busy != null && store != null) {
				guarded("backoff", () -> store.publishBusy(busy.tokenUri(), busy.announced()));
			}
			throw ex;
		}
		if (client != null) {
			this.core.tokenRequestSucceeded(request);
		}
		return client;
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
			this.core.cacheSucceeded();
			return token;
		}
		catch (RuntimeException ex) {
			this.core.cacheFailed("get", ex);
			return null;
		}
	}

	private void guarded(String operation, Runnable action) {
		try {
			action.run();
			this.core.cacheSucceeded();
		}
		catch (RuntimeException ex) {
			this.core.cacheFailed(operation, ex);
		}
	}

}
