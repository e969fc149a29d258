package dev.dexpace.tokencache.oauth2;

import java.time.Instant;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2Token;

/**
 * The rules that bind a token obtained for a user (token exchange, jwt-bearer) to the
 * user's own subject token, shared by the blocking and the reactive manager: a delegated
 * token never outlives the token it was exchanged for.
 * <ul>
 * <li>It is cached until the earlier of its own expiry and the subject token's
 * ({@link #bounded}).</li>
 * <li>Once the subject token has expired, nothing cached is served for it and nothing is
 * cached for it ({@link #hasExpired}): the request goes to the identity provider, which
 * judges the expired subject as it would without the cache.</li>
 * <li>A background refresh starts only if a new token could live longer than the cached
 * one, that is while the subject token outlives it ({@link #mayRefresh}); otherwise every
 * hit in the refresh window would exchange the same subject again for nothing.</li>
 * </ul>
 * Tokens of the application ({@link TokenKind#SYSTEM system} keys) have no subject: every
 * rule lets them through without reading the clock.
 */
final class SubjectTokens {

	private SubjectTokens() {
	}

	/**
	 * Return when the subject token of a user key expires.
	 * @param key the key
	 * @param principal the principal whose token was exchanged
	 * @return the subject token's expiry, or {@code null} for a system key or a subject
	 * that states none
	 */
	static @Nullable Instant expiresAt(TokenKey key, Authentication principal) {
		if (key.kind() != TokenKind.USER) {
			return null;
		}
		return (principal.getPrincipal() instanceof OAuth2Token subject) ? subject.getExpiresAt() : null;
	}

	/**
	 * Return whether the subject token of a user key has expired.
	 * @param key the key
	 * @param principal the principal
	 * @param nowMillis the current time
	 * @return whether nothing may be served from, or written to, the cache for it
	 */
	static boolean hasExpired(TokenKey key, Authentication principal, long nowMillis) {
		Instant subjectExpiry = expiresAt(key, principal);
		return subjectExpiry != null && subjectExpiry.toEpochMilli() <= nowMillis;
	}

	/**
	 * Return the token to cache: the token itself, or for a user key whose subject token
	 * expires first, a copy that expires with the subject token.
	 * @param key the key
	 * @param token the token the identity provider issued
	 * @param principal the principal
	 * @return the token to cache
	 */
	static CachedToken bounded(TokenKey key, CachedToken token, Authentication principal) {
		Instant subjectExpiry = expiresAt(key, principal);
		if (subjectExpiry == null || !subjectExpiry.isBefore(token.expiresAt())) {
			return token;
		}
		return new CachedToken(token.tokenValue(), token.tokenType(), token.scopes(), token.issuedAt(),
				subjectExpiry);
	}

	/**
	 * Return whether a background refresh of a cached token may start: always for a
	 * system key, for a user key only while its subject token outlives the cached token.
	 * @param key the key
	 * @param cached the cached token
	 * @param principal the principal
	 * @return whether a refresh could obtain a token that lives longer
	 */
	static boolean mayRefresh(TokenKey key, CachedToken cached, Authentication principal) {
		Instant subjectExpiry = expiresAt(key, principal);
		return subjectExpiry == null || subjectExpiry.isAfter(cached.expiresAt());
	}

}
