package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.ReactiveTokenEndpointBackoffStore;
import dev.dexpace.tokencache.ReactiveTokenFetchLock;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.AuthorizedTokens.AuthorizedToken;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
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
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

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
 * With a {@link #setFetchLock fetch lock}, single-flight spans the
 * instances of a fleet as in the blocking manager; a waiter polls the cache on a timer,
 * without holding a thread.
 * <p>
 * Refresh-ahead and stale-if-error work as in the blocking manager: a hit on a token
 * inside its {@link #setRefreshAhead(Duration) refresh window} returns it at once and
 * starts one background refresh for its key, and while the identity provider fails with
 * an error that may heal, the last token of an application key is served until it really
 * expires. Background refreshes are started from the same small pool of daemon threads
 * as the blocking manager's (never on an event loop), and no thread waits for their
 * token request. A hit on an application key hands out the authorized client built for
 * the cached token, as the blocking manager does.
 * <p>
 * Token endpoints that fail are backed off from as in the blocking manager (see
 * {@link TokenEndpointBackoff}), and with a
 * {@link #setBackoffStore backoff store} a wait an
 * endpoint announced is shared with the fleet.
 * <p>
 * What it decides is decided by the same policy as in
 * {@link CachingOAuth2AuthorizedClientManager}; this class keeps only the reactive control
 * flow.
 *
 * @since 0.1.0
 */
public final class CachingReactiveOAuth2AuthorizedClientManager
		extends AbstractCachingAuthorizedClientManager<ReactiveOAuth2AuthorizedClientManager, ReactiveTokenCache,
			ReactiveTokenFetchLock, ReactiveTokenEndpointBackoffStore>
		implements ReactiveOAuth2AuthorizedClientManager {

	private static final Log logger = LogFactory.getLog(CachingReactiveOAuth2AuthorizedClientManager.class);

	/**
	 * The longest one attempt of a background refresh may take; the token request timeout
	 * and the fleet lease end it much sooner.
	 */
	private static final Duration REFRESH_ATTEMPT_BOUND = Duration.ofMinutes(2);

	private final ReactiveClientRegistrationRepository registrations;

	private final ReactiveSingleFlight<TokenKey, CachedToken> flights = new ReactiveSingleFlight<>();

	private final ReactiveSingleFlight<TokenKey, OAuth2AuthorizedClient> uncachedFlights = new ReactiveSingleFlight<>();

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
		super(delegate, passThrough, cache, keyResolver, lifetimeResolver, clock);
		this.registrations = registrations;
	}

	@Override
	public Mono<OAuth2AuthorizedClient> authorize(OAuth2AuthorizeRequest authorizeRequest) {
		return authorize(authorizeRequest, null);
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
		return invalidate(registration(authorizeRequest), authorizeRequest.getPrincipal(),
				(key) -> this.cache.delete(key, TokenPolicy.rejectedToken(rejected)));
	}

	/**
	 * Delete whatever token is cached for a registration and principal. Used where the
	 * rejected token is not known, as in Spring Security's own filters.
	 * @param registrationId the client registration id
	 * @param principal the principal
	 * @return completes when no token is cached for them
	 * @since 0.1.0
	 */
	public Mono<Void> invalidate(String registrationId, Authentication principal) {
		return invalidate(this.registrations.findByRegistrationId(registrationId), principal, this.cache::delete);
	}

	private Mono<Void> invalidate(Mono<ClientRegistration> registration, Authentication principal,
			Function<TokenKey, Mono<Void>> delete) {
		return registration.mapNotNull((found) -> this.keyResolver.resolve(found, principal))
			.flatMap((key) -> guarded("delete", () -> delete.apply(key))
				.doOnSuccess((done) -> this.core.invalidated(key)));
	}

	private Mono<OAuth2AuthorizedClient> authorize(OAuth2AuthorizeRequest authorizeRequest,
			@Nullable OAuth2AccessToken rejected) {
		return registration(authorizeRequest).map(Optional::of)
			.defaultIfEmpty(Optional.empty())
			.flatMap((found) -> {
				ClientRegistration registration = found.orElse(null);
				Authentication principal = authorizeRequest.getPrincipal();
				TokenKey key = (registration != null) ? this.keyResolver.resolve(registration, principal) : null;
				if (registration == null || key == null) {
					return this.passThrough.authorize(authorizeRequest);
				}
				TokenRequest request = new TokenRequest(key, registration, authorizeRequest, rejected);
				if (this.core.policy().bypassesCache(key, principal)) {
					// Nothing cached outlives the user's own token: the identity provider judges
					// it, one request per key at a time and not while its endpoint is backed off
					// from.
					return this.uncachedFlights.run(key,
							() -> failFastIfBackingOff(request).then(send(request, this.delegate, authorizeRequest)));
				}
				return read(key).filter(request::accepts)
					.map((cached) -> hit(request, cached))
					.switchIfEmpty(Mono.defer(() -> {
						this.core.listener().lookup(key.kind(), false);
						return miss(request);
					}))
					.map((token) -> token.client(principal));
			});
	}

	/**
	 * A hit: the remembered authorized token, and its background refresh once it is due.
	 */
	private AuthorizedToken hit(TokenRequest request, CachedToken cached) {
		AuthorizedToken hit = this.core.hit(request.key(), request.registration(), cached, request.principal());
		if (this.core.policy().isRefreshDue(request.key(), hit, request.principal())
				&& !this.core.isRefreshing(request.key())) {
			inBackground(request.key(), () -> this.core.startRefresh(request.key(), refresh(request, hit.token())));
		}
		return hit;
	}

	/**
	 * A miss: load the token, or serve the last token of the key while the identity
	 * provider fails and that token has not really expired.
	 */
	private Mono<AuthorizedToken> miss(TokenRequest request) {
		AuthorizedToken stale = this.core.staleWhileRetrying(request);
		if (stale != null) {
			return Mono.just(stale);
		}
		TokenKey key = request.key();
		return this.flights.run(key, () -> load(request, null))
			.flatMap((token) -> request.accepts(token) ? Mono.just(token)
					// Joined a load that started before the rejection: load once more on our own terms.
					: this.flights.run(key, () -> load(request, null)))
			.map((token) -> this.core.obtained(request, token))
			.onErrorResume((ex) -> {
				AuthorizedToken last = this.core.staleAfter(request, ex);
				if (last == null) {
					return Mono.error(ex);
				}
				inBackground(key,
						() -> this.core.retryInBackground(request, ex, last.token(), refresh(request, last.token())));
				return Mono.just(last);
			});
	}

	/**
	 * Hand a background refresh to the refresher from the hand-off scheduler: handing a
	 * task to the refresher's pool may wait for its queue's lock, which an event loop must
	 * not. A scheduler that is full (the application's own blocking work has taken every
	 * bounded elastic thread and queue slot) must not fail the caller, who holds a usable
	 * token: the refresh is skipped, and the next hit in the refresh window tries again.
	 */
	private void inBackground(TokenKey key, Runnable start) {
		try {
			this.handOff.schedule(start);
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
	 * The background refresh of a token. An attempt subscribes to its load on a refresher
	 * thread and returns: no thread waits for the token request, and the outcome is handed
	 * back from the hand-off scheduler, off the event loop the response arrives on.
	 */
	private BackgroundRefresher.Refresh refresh(TokenRequest request, CachedToken current) {
		TokenKey key = request.key();
		return (attempt, outcome) -> this.flights.run(key, () -> load(request, current))
			// A TimeoutException: a slow identity provider is worth trying again.
			.timeout(REFRESH_ATTEMPT_BOUND)
			.publishOn(this.handOff)
			.subscribe(null,
					(ex) -> outcome.accept(this.core.refreshFailed(key, Exceptions.unwrap(ex), current, attempt)),
					() -> outcome.accept(this.core.refreshSucceeded(key, attempt)));
	}

	/**
	 * Load a token: one another load put in the cache meanwhile, or one from the delegate,
	 * as the blocking manager does.
	 * @param replacing the token a background refresh replaces; {@code null} on a miss
	 */
	private Mono<CachedToken> load(TokenRequest request, @Nullable CachedToken replacing) {
		return read(request.key()).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap((read) -> {
			CachedToken cached = read.orElse(null);
			@Nullable CachedToken replaced = replacing;
			if (cached != null && replacing == null && request.accepts(cached)) {
				return Mono.just(cached);
			}
			if (replacing != null && cached != null && !cached.sameTokenAs(replacing)) {
				if (this.core.isRefreshedAlready(request, cached)) {
					return Mono.just(cached);
				}
				replaced = cached;
			}
			@Nullable CachedToken replacedToken = replaced;
			return failFastIfBackingOff(request).then(Mono.defer(() -> {
				ReactiveTokenFetchLock lock = this.fetchLock;
				if (lock == null) {
					return fetch(request, replacedToken);
				}
				return loadUnderLease(lock, new LeaseWait(lock.leaseTime(), System::nanoTime), request,
						replacedToken);
			}));
		});
	}

	/**
	 * Fail at once while the token endpoint is backed off from, here or, for a wait it
	 * announced, anywhere in the fleet, as the blocking manager does. The store is read
	 * only when this instance knows of no backoff, and only before a token request.
	 */
	private Mono<Void> failFastIfBackingOff(TokenRequest request) {
		OAuth2AuthorizationException backoff = this.core.backingOff(request);
		if (backoff != null) {
			return Mono.error(backoff);
		}
		ReactiveTokenEndpointBackoffStore store = this.backoffStore;
		String tokenUri = CachingCore.tokenUri(request);
		if (store == null || tokenUri == null) {
			return Mono.empty();
		}
		return Mono.defer(() -> store.busy(tokenUri)).onErrorResume((ex) -> {
			this.core.cacheFailed("backoff", ex);
			return Mono.empty();
		}).flatMap((remaining) -> {
			OAuth2AuthorizationException busy = this.core.busyElsewhere(request, remaining);
			return (busy != null) ? Mono.<Void>error(busy) : Mono.<Void>empty();
		});
	}

	/**
	 * Fetch while holding the key's lease, or poll the cache on a timer for the token of
	 * the instance that holds it, as the blocking manager does.
	 */
	private Mono<CachedToken> loadUnderLease(ReactiveTokenFetchLock lock, LeaseWait wait, TokenRequest request,
			@Nullable CachedToken replacing) {
		TokenKey key = request.key();
		Mono<ReactiveTokenFetchLock.Lease> lease = Mono.defer(() -> lock.tryLock(key)).onErrorResume((ex) -> {
			this.core.cacheFailed("lock", ex);
			return Mono.just(Mono::empty);
		});
		return lease.map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap((held) -> {
			if (held.isPresent()) {
				boolean waited = wait.polls() > 0;
				Mono<CachedToken> underLease = (waited ? read(key) : Mono.<CachedToken>empty())
					.filter((cached) -> TokenPolicy.isNewer(request, cached, replacing))
					.doOnNext((cached) -> leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TOKEN, wait))
					.switchIfEmpty(Mono.defer(() -> {
						if (waited) {
							leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TAKEN_OVER, wait);
						}
						return fetch(request, replacing);
					}));
				return Mono.usingWhen(Mono.just(held.get()), (acquired) -> underLease,
						(acquired) -> guarded("unlock", acquired::release));
			}
			if (wait.isOver()) {
				leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.GAVE_UP, wait);
				return fetch(request, replacing);
			}
			return Mono.delay(Duration.ofMillis(wait.nextDelayMillis()))
				.then(read(key))
				.filter((cached) -> TokenPolicy.isNewer(request, cached, replacing))
				.doOnNext((cached) -> leaseWaited(key, TokenCacheListener.LeaseWaitOutcome.TOKEN, wait))
				.switchIfEmpty(Mono.defer(() -> loadUnderLease(lock, wait, request, replacing)));
		});
	}

	private void leaseWaited(TokenKey key, TokenCacheListener.LeaseWaitOutcome outcome, LeaseWait wait) {
		this.core.leaseWaited(key, outcome, wait.polls());
	}

	/**
	 * Ask the delegate for a new token and cache it.
	 * @param replacing the token being replaced, handed to the delegate as expired;
	 * {@code null} on a plain miss
	 */
	private Mono<CachedToken> fetch(TokenRequest request, @Nullable CachedToken replacing) {
		// The backoff may have begun while this caller waited for another instance's lease.
		OAuth2AuthorizationException backoff = this.core.backingOff(request);
		if (backoff != null) {
			return Mono.error(backoff);
		}
		return send(request, delegateFor(replacing), this.core.policy().delegateRequest(request, replacing))
			.flatMap((client) -> {
				CachedToken token = this.core.fetched(request, client);
				return guarded("put", () -> this.cache.put(request.key(), token)).thenReturn(token);
			});
	}

	/**
	 * Send a token request through a delegate, observed, and record its outcome in the
	 * backoff of its endpoint.
	 */
	private Mono<OAuth2AuthorizedClient> send(TokenRequest request, ReactiveOAuth2AuthorizedClientManager manager,
			OAuth2AuthorizeRequest delegated) {
		return observed(request.key(), Mono.defer(() -> manager.authorize(delegated)))
			.doOnNext((client) -> this.core.tokenRequestSucceeded(request))
			.onErrorResume((ex) -> {
				CachingCore.Busy busy = this.core.tokenRequestFailed(request, ex);
				ReactiveTokenEndpointBackoffStore store = this.backoffStore;
				if (busy == null || store == null) {
					return Mono.error(ex);
				}
				return guarded("backoff", () -> store.publishBusy(busy.tokenUri(), busy.announced())).then(Mono.error(ex));
			});
	}

	/**
	 * Observe a token request, once, however it ends: with a token, empty, with an error,
	 * or cancelled. Its parent is the observation of the caller's Reactor context (put
	 * there by {@code contextWrite} or by Spring WebFlux), else the one current on the
	 * subscribing thread; it is the parent of what the request observes in turn, such as
	 * the token endpoint call.
	 */
	private <T> Mono<T> observed(TokenKey key, Mono<T> request) {
		return Mono.deferContextual((context) -> {
			TokenRequestObservations.Pending pending = this.core.observations()
				.start(key, context.getOrDefault(ObservationThreadLocalAccessor.KEY, null));
			Mono<T> observed = request.doOnSuccess((result) -> pending.finished(result != null))
				.doOnError(pending::failed)
				.doOnCancel(pending::cancelled);
			return pending.isNoop() ? observed
					: observed.contextWrite((inner) -> inner.put(ObservationThreadLocalAccessor.KEY, pending.observation()));
		});
	}

	private Mono<ClientRegistration> registration(OAuth2AuthorizeRequest authorizeRequest) {
		OAuth2AuthorizedClient client = authorizeRequest.getAuthorizedClient();
		if (client != null) {
			return Mono.just(client.getClientRegistration());
		}
		return this.registrations.findByRegistrationId(authorizeRequest.getClientRegistrationId());
	}

	private Mono<CachedToken> read(TokenKey key) {
		return Mono.defer(() -> this.cache.get(key))
			.doOnSuccess((token) -> this.core.cacheSucceeded())
			.onErrorResume((ex) -> {
				this.core.cacheFailed("get", ex);
				return Mono.empty();
			});
	}

	private Mono<Void> guarded(String operation, Supplier<Mono<Void>> action) {
		return Mono.defer(action).doOnSuccess((done) -> this.core.cacheSucceeded()).onErrorResume((ex) -> {
			this.core.cacheFailed(operation, ex);
			return Mono.empty();
		});
	}

	/**
	 * Return how many keys have a token request in flight.
	 * @return the number of token requests in flight
	 */
	public int tokenRequestsInFlight() {
		return this.flights.size();
	}

}
