package dev.dexpace.tokencache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * An access token held by a {@link TokenCache}: value, type, granted scopes, issued-at and
 * the absolute instant the token really expires (the cache applies its expiry buffer on
 * top). {@link #toString()} never shows the token value.
 *
 * @param tokenValue the access token value (a secret)
 * @param tokenType the token type, usually {@code Bearer}
 * @param scopes the granted scopes
 * @param issuedAt when the token was issued, or {@code null} if unknown
 * @param expiresAt when the token expires
 * @since 0.1.0
 */
public record CachedToken(String tokenValue, String tokenType, Set<String> scopes, @Nullable Instant issuedAt,
		Instant expiresAt) {

	public CachedToken {
		Objects.requireNonNull(tokenValue, "tokenValue must not be null");
		Objects.requireNonNull(tokenType, "tokenType must not be null");
		Objects.requireNonNull(expiresAt, "expiresAt must not be null");
		scopes = Set.copyOf(scopes);
	}

	/**
	 * Whether this token carries the same token value as another one.
	 * @param other the other token
	 * @return {@code true} if both hold the same value
	 */
	public boolean sameTokenAs(CachedToken other) {
		// constant time: the comparison must not leak how much of a token matched
		return MessageDigest.isEqual(this.tokenValue.getBytes(StandardCharsets.UTF_8),
				other.tokenValue.getBytes(StandardCharsets.UTF_8));
	}

	@Override
	public String toString() {
		return "CachedToken[tokenType=" + this.tokenType + ", scopes=" + this.scopes + ", issuedAt=" + this.issuedAt
				+ ", expiresAt=" + this.expiresAt + ", tokenValue=<redacted>]";
	}

}
