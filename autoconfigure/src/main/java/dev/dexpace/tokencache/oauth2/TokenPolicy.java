package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.AuthorizedTokens.AuthorizedToken;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * What both caching managers decide, in one place and without state of its own: whether a
 * request bypasses the cache, when a hit is due for a background refresh, when the last
 * token is served stale, what a failure means, what the delegate is asked, and how a
 * {@link CachedToken} and an {@link OAuth2AccessToken} turn into each other. Time comes
 * from the clock it is given.
 */
final class TokenPolicy {

	private final Clock clock;

	private final TokenLifetimeResolver lifetimeResolver;

	private final Duration refreshAhead;

	private final Duration expiryBuffer;

	private final RefreshSchedule schedule;

	/**
	 * Create a policy.
	 * @param clock the clock that tells the current time
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param refreshAhead the refresh-ahead window; zero turns it off
	 * @param expiryBuffer how long before its real expiry the cache drops a token
	 */
	TokenPolicy(Clock clock, TokenLifetimeResolver lifetimeResolver, Duration refreshAhead, Duration expiryBuffer) {
		this.clock = clock;
		this.lifetimeResolver = lifetimeResolver;
		this.refreshAhead = refreshAhead;
		this.expiryBuffer = expiryBuffer;
		this.schedule = new RefreshSchedule(refreshAhead, expiryBuffer);
	}

	TokenPolicy withRefreshAhead(Duration refreshAhead) {
		return new TokenPolicy(this.clock, this.lifetimeResolver, refreshAhead, this.expiryBuffer);
	}

	TokenPolicy withExpiryBuffer(Duration expiryBuffer) {
		return new TokenPolicy(this.clock, this.lifetimeResolver, this.refreshAhead, expiryBuffer);
	}

	Clock clock() {
		return this.clock;
	}

	RefreshSchedule schedule() {
		return this.schedule;
	}

	Duration expiryBuffer() {
		return this.expiryBuffer;
	}

	/**
	 * Return whether the clock is the system clock, which a timer can stand in for.
	 * @return whether hits may read a timer's flag instead of the clock
	 */
	boolean onSystemClock() {
		return this.clock.equals(Clock.systemUTC()) || this.clock.equals(Clock.systemDefaultZone());
	}

	/**
	 * Return whether a request goes to the delegate without the cache: for a user key
	 * whose subject token has expired (see {@link SubjectTokens#hasExpired}).
	 * @param key the key
	 * @param principal the principal
	 * @return whether to bypass the cache
	 */
	boolean bypassesCache(TokenKey key, Authentication principal) {
		return SubjectTokens.hasExpired(key, principal, this.clock.millis());
	}

	/**
	 * Return whether a hit starts a background refresh.
	 * @param key the key
	 * @param hit the token that was hit
	 * @param principal the principal
	 * @return whether the refresh is due and could obtain a longer-lived token
	 */
	boolean isRefreshDue(TokenKey key, AuthorizedToken hit, Authentication principal) {
		return hit.isRefreshDue(this.clock) && SubjectTokens.mayRefresh(key, hit.token(), principal);
	}

	/**
	 * Return whether a background refresh that found this newer token in the cache may
	 * leave it: another caller or instance refreshed it, and its own refresh is not due.
	 * @param newer the token found
	 * @return whether the refresh is done already
	 */
	boolean isRefreshedAlready(AuthorizedToken newer) {
		return this.clock.millis() < newer.refreshAtMillis();
	}

	/**
	 * Return whether the last token of a key may answer a request while no newer one can
	 * be had: it has not really expired and was not rejected.
	 * @param last the last token of the key, if remembered
	 * @param request the request
	 * @return whether to serve it
	 */
	boolean servesStale(@Nullable AuthorizedToken last, TokenRequest request) {
		return last != null && this.clock.millis() < RefreshSchedule.usableUntilMillis(last.token())
				&& request.accepts(last.token());
	}

	/**
	 * Return whether a failed token request is answered with the last token: only for an
	 * error that may heal.
	 * @param failure what the token request threw
	 * @param last the last token of the key, if remembered
	 * @param request the request
	 * @return whether to serve the last token and retry in the background
	 */
	boolean servesStaleAfter(Throwable failure, @Nullable AuthorizedToken last, TokenRequest request) {
		return !TokenRequestErrors.isPermanent(failure) && servesStale(last, request);
	}

	/**
	 * Return whether a token read while loading is the one to use: neither the rejected
	 * token nor the one being refreshed.
	 * @param request the request
	 * @param cached the token read, if any
	 * @param replacing the token a refresh replaces, or {@code null}
	 * @return whether the token answers the load
	 */
	static boolean isNewer(TokenRequest request, @Nullable CachedToken cached, @Nullable CachedToken replacing) {
		return cached != null && request.accepts(cached) && (replacing == null || !cached.sameTokenAs(replacing));
	}

	/**
	 * Return what the delegate is asked: the caller's request, or when a token is being
	 * replaced (refreshed or rejected), a request that hands the delegate an expired copy
	 * of it, type and scopes kept, so that a delegate which keeps its own copy fetches a
	 * new token instead of returning it.
	 * @param request the request
	 * @param replacing the token a refresh replaces, or {@code null}
	 * @return the delegate's authorize request
	 */
	OAuth2AuthorizeRequest delegateRequest(TokenRequest request, @Nullable CachedToken replacing) {
		OAuth2AccessToken old = (replacing != null) ? accessToken(replacing) : request.rejected();
		OAuth2AuthorizeRequest authorizeRequest = request.authorizeRequest();
		if (old == null) {
			return authorizeRequest;
		}
		Instant now = this.clock.instant();
		OAuth2AccessToken expired = new OAuth2AccessToken(old.getTokenType(), old.getTokenValue(),
				now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)), old.getScopes());
		Authentication principal = request.principal();
		return OAuth2AuthorizeRequest
			.withAuthorizedClient(new OAuth2AuthorizedClient(request.registration(), principal.getName(), expired))
			.principal(principal)
			.attributes((attributes) -> attributes.putAll(authorizeRequest.getAttributes()))
			.build();
	}

	/**
	 * Return the token to cache for what the delegate returned: its expiry resolved, and
	 * for a user key bounded by the subject token.
	 * @param request the request
	 * @param client what the delegate returned
	 * @return the token to cache
	 */
	CachedToken cachedToken(TokenRequest request, OAuth2AuthorizedClient client) {
		OAuth2AccessToken accessToken = client.getAccessToken();
		CachedToken token = new CachedToken(accessToken.getTokenValue(), accessToken.getTokenType().getValue(),
				accessToken.getScopes(), accessToken.getIssuedAt(), this.lifetimeResolver.resolve(accessToken));
		return SubjectTokens.bounded(request.key(), token, request.principal());
	}

	/**
	 * Return a cached token as Spring Security's access token.
	 * @param token the cached token
	 * @return the access token
	 */
	static OAuth2AccessToken accessToken(CachedToken token) {
		Instant issuedAt = token.issuedAt();
		if (issuedAt != null && !token.expiresAt().isAfter(issuedAt)) {
			issuedAt = null;
		}
		return new OAuth2AccessToken(tokenType(token.tokenType()), token.tokenValue(), issuedAt, token.expiresAt(),
				token.scopes());
	}

	/**
	 * Return a rejected access token as the cached token to delete: only its value counts.
	 * @param rejected the rejected token
	 * @return the token to delete
	 */
	static CachedToken rejectedToken(OAuth2AccessToken rejected) {
		return new CachedToken(rejected.getTokenValue(), rejected.getTokenType().getValue(), rejected.getScopes(),
				null, Instant.EPOCH);
	}

	/**
	 * Return the warning for a failed token request answered with the last token.
	 * @param key the key
	 * @param failure what the token request threw
	 * @param last the token served
	 * @return the log message, free of secrets
	 */
	static String servingStale(TokenKey key, Throwable failure, CachedToken last) {
		return "Token request for " + key + " failed (" + TokenRequestErrors.describe(failure)
				+ "); serving the last token until it really expires at " + last.expiresAt()
				+ " while retrying in the background";
	}

	private static OAuth2AccessToken.TokenType tokenType(String value) {
		return OAuth2AccessToken.TokenType.DPOP.getValue().equalsIgnoreCase(value) ? OAuth2AccessToken.TokenType.DPOP
				: OAuth2AccessToken.TokenType.BEARER;
	}

}
