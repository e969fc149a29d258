package dev.dexpace.tokencache;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * What an operator may see of one cached token: everything but its value.
 *
 * @param registrationId the client registration id
 * @param kind the tier
 * @param scopes the scopes the token was granted (for an in-memory entry whose token
 * response named none, the requested scopes)
 * @param audience the requested audience, or {@code null} if none or not known to the
 * cache
 * @param keyDigest the hex SHA-256 of the key (see {@link #keyDigest(TokenKey)}); the
 * last part of the key in Redis
 * @param expiresAt when the token really expires (the cache drops it the expiry buffer
 * earlier)
 * @since 0.1.0
 */
public record TokenCacheEntry(String registrationId, TokenKind kind, Set<String> scopes, @Nullable String audience,
		String keyDigest, Instant expiresAt) {

	public TokenCacheEntry {
		Objects.requireNonNull(registrationId, "registrationId must not be null");
		Objects.requireNonNull(kind, "kind must not be null");
		Objects.requireNonNull(keyDigest, "keyDigest must not be null");
		Objects.requireNonNull(expiresAt, "expiresAt must not be null");
		scopes = Set.copyOf(scopes);
	}

	/**
	 * Describe a cached token. A token response without {@code scope} granted the
	 * requested scopes (RFC 6749 section 5.1), so then the key's scopes are shown.
	 * @param key its key
	 * @param token the token
	 * @return the entry
	 */
	public static TokenCacheEntry of(TokenKey key, CachedToken token) {
		Set<String> scopes = token.scopes().isEmpty() ? Set.copyOf(key.scopes()) : token.scopes();
		return new TokenCacheEntry(key.registrationId(), key.kind(), scopes, key.audience(), keyDigest(key),
				token.expiresAt());
	}

	/**
	 * Return the digest that identifies a key: the hex SHA-256 of its registration id,
	 * client digest, scopes, audience, subject digest and, for a bound token, key thumbprint.
	 * Shows nothing of the subject.
	 * @param key the key
	 * @return the digest, 64 hex characters
	 */
	public static String keyDigest(TokenKey key) {
		String subject = (key.subjectDigest() != null) ? key.subjectDigest() : "";
		String audience = (key.audience() != null) ? key.audience() : "";
		// NUL separates the parts: none of them can contain it, so two keys never collide.
		// A bound token's key adds its thumbprint; a bearer token's digest stays what it was.
		String thumbprint = (key.keyThumbprint() != null) ? "\0" + key.keyThumbprint() : "";
		return TokenKey.digest(key.registrationId() + '\0' + key.clientDigest() + '\0' + String.join(" ", key.scopes())
				+ '\0' + audience + '\0' + subject + thumbprint);
	}

}
