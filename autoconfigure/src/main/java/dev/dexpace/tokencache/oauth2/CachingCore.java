package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.metrics.TokenRequestObservationConvention;
import dev.dexpace.tokencache.oauth2.AuthorizedTokens.AuthorizedToken;
import io.micrometer.observation.ObservationRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.util.Assert;

/**
 * What the blocking and the reactive caching manager share beside the cache, so that
 * they keep only their control flow: the {@link TokenPolicy}, the token state
 * ({@link AuthorizedTokens}: memo, last tokens, refresh flags), the
 * {@link BackgroundRefresher}, the {@link TokenEndpointBackoff}, the record of cache
 * faults, the listener and the observation of token requests. Nothing here blocks or
 * knows Reactor.
 */
final class CachingCore implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(CachingCore.class);

	private final BackgroundRefresher refresher;

	private final CacheFaults faults = new CacheFaults();

	private volatile TokenPolicy policy;

	private volatile AuthorizedTokens tokens;

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	private volatile TokenEndpointBackoff backoff;

	private volatile TokenRequestObservations observations = TokenRequestObservations.NONE;

	CachingCore(Clock clock, TokenLifetimeResolver lifetimeResolver, BackgroundRefresher refresher) {
		this.refresher = refresher;
		this.policy = new TokenPolicy(clock, lifetimeResolver, Duration.ZERO, Duration.ZERO);
		this.tokens = authorizedTokens(this.policy);
		this.backoff = new TokenEndpointBackoff(clock);
	}

	void setBackoff(TokenEndpointBackoff backoff) {
		Assert.notNull(backoff, "backoff must not be null");
		this.backoff = backoff;
	}

	TokenEndpointBackoff backoff() {
		return this.backoff;
	}

	void setRefreshAhead(Duration refreshAhead) {
		Assert.isTrue(!refreshAhead.isNegative(), "refreshAhead must not be negative");
		configure(this.policy.withRefreshAhead(refreshAhead));
	}

	void setExpiryBuffer(Duration expiryBuffer) {
		Assert.isTrue(!expiryBuffer.isNegative(), "expiryBuffer must not be negative");
		configure(this.policy.withExpiryBuffer(expiryBuffer));
	}

	private void configure(TokenPolicy policy) {
		this.policy = policy;
		this.tokens = authorizedTokens(policy);
	}

	/**
	 * On the system clock, a timer tells remembered tokens when their refresh is due, so a
	 * hit reads no clock for it; on any other clock (tests move theirs), hits read it.
	 */
	private AuthorizedTokens authorizedTokens(TokenPolicy policy) {
		return new AuthorizedTokens(policy.schedule(), policy.onSystemClock() ? this.refresher::schedule : null);
	}

	void setObservationRegistry(ObservationRegistry registry) {
		Assert.notNull(registry, "registry must not be null");
		this.observations = new TokenRequestObservations(registry, this.observations.convention());
	}

	void setObservationConvention(TokenRequestObservationConvention convention) {
		Assert.notNull(convention, "convention must not be null");
		this.observations = new TokenRequestObservations(this.observations.registry(), convention);
	}

	/**
	 * Return how token requests are observed.
	 * @return the observations
	 */
	TokenRequestObservations observations() {
		return this.observations;
	}

	TokenPolicy policy() {
		return this.policy;
	}

	TokenCacheListener listener() {
		return this.listener;
	}

	void setListener(TokenCacheListener listener) {
		this.listener = listener;
	}

	/**
	 * A hit: the authorized token of a cached token, built once per token of a system key.
	 * @param key the key
	 * @param registration the registration
	 * @param cached the cached token
	 * @param principal the principal
	 * @return the authorized token
	 */
	AuthorizedToken hit(TokenKey key, ClientRegistration registration, CachedToken cached, Authentication principal) {
		this.listener.lookup(key.kind(), true);
		return this.tokens.of(key, registration, cached, principal);
	}

	/**
	 * A token the managers obtained for a request, remembered as the last token of its key.
	 * @param request the request
	 * @param token the token
	 * @return the authorized token
	 */
	AuthorizedToken obtained(TokenRequest request, CachedToken token) {
		return this.tokens.of(request.key(), request.registration(), token, request.principal());
	}

	/**
	 * Return the last token of the key when a refresh is failing and being retried: the
	 * caller gets it without waiting.
	 * @param request the request
	 * @return the token to serve, or {@code null} to load one
	 */
	@Nullable AuthorizedToken staleWhileRetrying(TokenRequest request) {
		AuthorizedToken last = this.tokens.last(request.key());
		return (this.refresher.isActive(request.key()) && this.policy.servesStale(last, request)) ? last : null;
	}

	/**
	 * Return the last token of the key to answer a failed token request with, if the
	 * failure may heal and the token has not really expired.
	 * @param request the request
	 * @param failure what the token request threw
	 * @return the token to serve, or {@code null} to fail
	 */
	@Nullable AuthorizedToken staleAfter(TokenRequest request, Throwable failure) {
		AuthorizedToken last = this.tokens.last(request.key());
		return this.policy.servesStaleAfter(failure, last, request) ? last : null;
	}

	/**
	 * Return whether a background refresh that found a token other than the one it
	 * replaces may take it as the refreshed token.
	 * @param request the request
	 * @param cached the token found
	 * @return whether the refresh is done already
	 */
	boolean isRefreshedAlready(TokenRequest request, CachedToken cached) {
		return this.policy.isRefreshedAlready(obtained(request, cached));
	}

	/**
	 * Return the token to cache for what the delegate returned.
	 * @param request the request
	 * @param client what the delegate returned
	 * @return the token to cache
	 */
	CachedToken fetched(TokenRequest request, OAuth2AuthorizedClient client) {
		CachedToken token = this.policy.cachedToken(request, client);
		if (logger.isDebugEnabled()) {
			logger.debug("Fetched token for " + request.key() + ", expires at " + token.expiresAt());
		}
		return token;
	}

	/**
	 * Forget the last token of a key the resource server rejected, so it is never served
	 * stale, and tell the listener.
	 * @param key the key
	 */
	void invalidated(TokenKey key) {
		this.tokens.forget(key);
		this.listener.invalidated(key.kind(), TokenCacheListener.InvalidationCause.UNAUTHORIZED);
	}

	/**
	 * Start a background refresh of the key unless one runs already.
	 * @param key the key
	 * @param refresh the refresh
	 * @return whether this call started it
	 */
	boolean startRefresh(TokenKey key, BackgroundRefresher.Refresh refresh) {
		return this.refresher.start(key, this.policy.clock().millis(), refresh);
	}

	/**
	 * Start the background retries of a failed token request answered with the last
	 * token, and say so once.
	 * @param request the request
	 * @param failure what the token request threw
	 * @param last the token served meanwhile
	 * @param refresh the refresh
	 */
	void retryInBackground(TokenRequest request, Throwable failure, CachedToken last,
			BackgroundRefresher.Refresh refresh) {
		if (startRefresh(request.key(), refresh) && logger.isWarnEnabled()) {
			logger.warn(TokenPolicy.servingStale(request.key(), failure, last));
		}
	}

	boolean isRefreshing(TokenKey key) {
		return this.refresher.isActive(key);
	}

	long refreshSucceeded(TokenKey key, int attempt) {
		return this.refresher.succeeded(key, attempt);
	}

	long refreshFailed(TokenKey key, Throwable failure, CachedToken current, int attempt) {
		TokenPolicy policy = this.policy;
		return this.refresher.failed(key, failure, current, attempt, policy.expiryBuffer(), policy.clock());
	}

	/**
	 * Return the error to fail a token request with at once, because its token endpoint
	 * is in backoff, and tell the listener; or {@code null} to send it. Asked inside the
	 * single-flight, right before the delegate would be, so that a miss during a backoff
	 * makes no token request. A background refresh fails the same way and, for an error
	 * that may heal, tries again no sooner than the backoff ends.
	 * @param request the request
	 * @return the error, or {@code null}
	 */
	@Nullable OAuth2AuthorizationException backingOff(TokenRequest request) {
		String tokenUri = tokenUri(request);
		if (tokenUri == null) {
			return null;
		}
		OAuth2AuthorizationException error = this.backoff.check(tokenUri, request.key());
		if (error != null) {
			skipped(request, error);
		}
		return error;
	}

	/**
	 * Return the error to fail a token request with at once because another instance of
	 * the fleet was asked to wait, and remember that wait here.
	 * @param request the request
	 * @param remaining how much longer the wait lasts
	 * @return the error, or {@code null} if the wait has ended meanwhile
	 */
	@Nullable OAuth2AuthorizationException busyElsewhere(TokenRequest request, Duration remaining) {
		String tokenUri = tokenUri(request);
		if (tokenUri == null || remaining.isNegative() || remaining.isZero()) {
			return null;
		}
		this.backoff.busyElsewhere(tokenUri, remaining);
		return backingOff(request);
	}

	/**
	 * Record a token request that failed.
	 * @param request the request
	 * @param failure what it threw
	 * @return the wait the token endpoint asked every caller for, to publish to the
	 * fleet's backoff store, or {@code null}
	 */
	@Nullable Busy tokenRequestFailed(TokenRequest request, Throwable failure) {
		String tokenUri = tokenUri(request);
		if (tokenUri == null) {
			return null;
		}
		Duration announced = this.backoff.failed(tokenUri, request.key(), failure);
		return (announced != null) ? new Busy(tokenUri, announced) : null;
	}

	/**
	 * Record a token request that succeeded: it ends the backoffs it was under.
	 * @param request the request
	 */
	void tokenRequestSucceeded(TokenRequest request) {
		String tokenUri = tokenUri(request);
		if (tokenUri != null) {
			this.backoff.succeeded(tokenUri, request.key());
		}
	}

	/**
	 * Return the token endpoint of a request, which the backoff is about, and which a
	 * shared backoff is published under.
	 * @param request the request
	 * @return the token URI, or {@code null} if the registration has none
	 */
	static @Nullable String tokenUri(TokenRequest request) {
		String tokenUri = request.registration().getProviderDetails().getTokenUri();
		return (tokenUri != null && !tokenUri.isEmpty()) ? tokenUri : null;
	}

	private void skipped(TokenRequest request, OAuth2AuthorizationException error) {
		TokenCacheListener.SkipReason reason = (error instanceof TokenEndpointBusyException)
				? TokenCacheListener.SkipReason.BUSY
				: TokenRequestErrors.isPermanent(error) ? TokenCacheListener.SkipReason.REJECTED
						: TokenCacheListener.SkipReason.UNAVAILABLE;
		if (logger.isDebugEnabled()) {
			logger.debug("No token request for " + request.key() + ": its token endpoint is in backoff ("
					+ reason.name().toLowerCase(Locale.ROOT) + ")");
		}
		this.listener.tokenRequestSkipped(request.key().registrationId(), request.key().kind(), reason);
	}

	/**
	 * Tell the listener how a wait for another instance's token under its lease ended.
	 * @param key the key
	 * @param outcome how it ended
	 * @param polls how often the cache was polled
	 */
	void leaseWaited(TokenKey key, TokenCacheListener.LeaseWaitOutcome outcome, int polls) {
		if (outcome == TokenCacheListener.LeaseWaitOutcome.GAVE_UP && logger.isDebugEnabled()) {
			logger.debug("No token for " + key + " from the instance holding its lease after " + polls
					+ " polls; fetching it here");
		}
		this.listener.leaseWaited(key.kind(), outcome);
	}

	void cacheSucceeded() {
		this.faults.succeeded();
	}

	void cacheFailed(String operation, Throwable failure) {
		this.faults.failed(operation,
				(failure instanceof RuntimeException runtime) ? runtime : new IllegalStateException(failure));
		this.listener.cacheError(operation);
	}

	long cacheFailures() {
		return this.faults.failures();
	}

	@Override
	public void close() {
		this.refresher.close();
	}

	/**
	 * A token endpoint that asked every caller to wait.
	 *
	 * @param tokenUri the token endpoint
	 * @param announced how long it asked for
	 */
	record Busy(String tokenUri, Duration announced) {
	}

}
