package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.metrics.DefaultTokenRequestObservationConvention;
import dev.dexpace.tokencache.metrics.TokenRequestObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * The configuration and state the blocking and the reactive caching manager share: their
 * delegates, their cache and key resolver, and the {@link CachingCore} that decides for
 * both. A subclass adds only its control flow.
 * <p>
 * Public only so that its setters and getters keep their types in the public managers'
 * API (a package-private base would expose them as {@code Object} to reflection and
 * other JVM languages); sealed to the two managers, nothing else extends it.
 *
 * @param <D> the type of the delegate manager
 * @param <C> the type of the token cache
 * @param <L> the type of the fleet's fetch lock
 * @param <S> the type of the fleet's backoff store
 */
public abstract sealed class AbstractCachingAuthorizedClientManager<D, C, L, S>
		implements TokenCacheListenerAware, AutoCloseable
		permits CachingOAuth2AuthorizedClientManager, CachingReactiveOAuth2AuthorizedClientManager {

	final D delegate;

	final D passThrough;

	final C cache;

	final TokenKeyResolver keyResolver;

	final CachingCore core;

	private volatile D refreshDelegate;

	volatile @Nullable L fetchLock;

	volatile @Nullable S backoffStore;

	AbstractCachingAuthorizedClientManager(D delegate, D passThrough, C cache, TokenKeyResolver keyResolver,
			TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this.delegate = delegate;
		this.refreshDelegate = delegate;
		this.passThrough = passThrough;
		this.cache = cache;
		this.keyResolver = keyResolver;
		this.core = new CachingCore(clock, lifetimeResolver, new BackgroundRefresher());
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
		this.core.setRefreshAhead(refreshAhead);
	}

	/**
	 * Tell the manager how long before their real expiry the cache drops tokens (the
	 * cache's own expiry buffer), so refreshes start before that.
	 * @param expiryBuffer the cache's expiry buffer; not negative
	 */
	public void setExpiryBuffer(Duration expiryBuffer) {
		this.core.setExpiryBuffer(expiryBuffer);
	}

	/**
	 * Coordinate token requests for a missing key with the other instances of a fleet
	 * through a lease, or not at all ({@code null}, the default).
	 * @param fetchLock the lock, usually the shared token cache itself
	 */
	public void setFetchLock(@Nullable L fetchLock) {
		this.fetchLock = fetchLock;
	}

	/**
	 * Share the waits token endpoints announce ({@code Retry-After}) with the other
	 * instances of a fleet, or not at all ({@code null}, the default).
	 * @param backoffStore the store, usually the shared token cache itself
	 * @since 0.1.0
	 */
	public void setBackoffStore(@Nullable S backoffStore) {
		this.backoffStore = backoffStore;
	}

	/**
	 * Share the backoff from failing token endpoints with other managers, usually every
	 * manager of the application; by default the manager has one of its own.
	 * @param backoff the backoff
	 * @since 0.1.0
	 */
	public void setTokenEndpointBackoff(TokenEndpointBackoff backoff) {
		this.core.setBackoff(backoff);
	}

	/**
	 * Ask another manager than the delegate for the tokens of background refreshes and
	 * their retries, which run outside any servlet request or web exchange: for a delegate
	 * that needs one, such as Spring Security's {@code DefaultOAuth2AuthorizedClientManager}
	 * and {@code DefaultReactiveOAuth2AuthorizedClientManager}.
	 * @param refreshDelegate the manager background refreshes ask; the delegate by default
	 * @since 0.1.0
	 */
	public void setRefreshDelegate(D refreshDelegate) {
		this.refreshDelegate = refreshDelegate;
	}

	/**
	 * Return the manager that asks for a token: a background refresh runs outside any
	 * request, a caller inside one.
	 * @param replacing the token a background refresh replaces; {@code null} on a miss
	 * @return the manager
	 */
	D delegateFor(@Nullable CachedToken replacing) {
		return (replacing != null) ? this.refreshDelegate : this.delegate;
	}

	/**
	 * Observe every token request on a registry: a span under the caller's observation
	 * (current on the calling thread for a blocking call, in the Reactor context for a
	 * reactive one) and, with Micrometer's meter handler, the timer
	 * {@value DefaultTokenRequestObservationConvention#NAME}.
	 * {@link ObservationRegistry#NOOP} (the default) observes nothing.
	 * @param observationRegistry the registry
	 * @since 0.1.0
	 */
	public void setObservationRegistry(ObservationRegistry observationRegistry) {
		this.core.setObservationRegistry(observationRegistry);
	}

	/**
	 * Name and tag token request observations with another convention than
	 * {@link DefaultTokenRequestObservationConvention}.
	 * @param observationConvention the convention
	 * @since 0.1.0
	 */
	public void setObservationConvention(TokenRequestObservationConvention observationConvention) {
		this.core.setObservationConvention(observationConvention);
	}

	/**
	 * Report lookups, skipped token requests, lease waits, invalidations and cache errors
	 * to a listener.
	 * @param listener the listener
	 */
	@Override
	public void setListener(TokenCacheListener listener) {
		this.core.setListener(listener);
	}

	/**
	 * Return how many token endpoints this manager is backing off from now.
	 * @return the number of endpoints in backoff
	 * @since 0.1.0
	 */
	public int tokenEndpointsInBackoff() {
		return this.core.backoff().endpointsInBackoff();
	}

	/**
	 * Return how many cache operations failed since start-up.
	 * @return the number of failed cache operations
	 */
	public long cacheFailures() {
		return this.core.cacheFailures();
	}

	/**
	 * Return whether a background refresh of the key is queued, running or waiting to be
	 * tried again.
	 * @param key the key
	 * @return whether a refresh is active
	 */
	boolean isRefreshing(TokenKey key) {
		return this.core.isRefreshing(key);
	}

	/**
	 * Return the manager this one delegates to on a miss.
	 * @return the delegate
	 */
	public D getDelegate() {
		return this.delegate;
	}

	/**
	 * Return the token cache in front of the delegate.
	 * @return the cache
	 */
	public C getCache() {
		return this.cache;
	}

	/**
	 * Stop the background refreshes.
	 */
	@Override
	public void close() {
		this.core.close();
	}

	@Override
	public String toString() {
		return getClass().getSimpleName() + "[cache=" + this.cache + ", delegate=" + this.delegate.getClass().getName()
				+ "]";
	}

}
