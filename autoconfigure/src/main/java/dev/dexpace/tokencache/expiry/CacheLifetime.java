package dev.dexpace.tokencache.expiry;

import java.time.Duration;
import java.time.Instant;

/**
 * How long a cache may keep a token: its remaining life minus the expiry buffer, never
 * negative, never past the token's real expiry and never longer than
 * {@link TokenLifetimeResolver#MAX_LIFETIME}. Every {@code TokenCache} shipped with this
 * project derives its entry lifetime here.
 *
 * @since 0.1.0
 */
public final class CacheLifetime {

	private CacheLifetime() {
	}

	/**
	 * Return how long a token may stay in a cache.
	 * @param expiresAt when the token really expires
	 * @param expiryBuffer how long before its real expiry a token is treated as expired
	 * @param now the current time
	 * @return the lifetime in the cache, {@link Duration#ZERO} if the token must not be
	 * cached at all
	 */
	public static Duration of(Instant expiresAt, Duration expiryBuffer, Instant now) {
		if (!expiresAt.isAfter(now)) {
			return Duration.ZERO;
		}
		// Bounded before any arithmetic: a far expiry (Instant.MAX) would overflow a
		// cache's nanosecond clock.
		Duration remaining = Duration.between(now, expiresAt);
		if (remaining.compareTo(TokenLifetimeResolver.MAX_LIFETIME) > 0) {
			remaining = TokenLifetimeResolver.MAX_LIFETIME;
		}
		remaining = remaining.minus(expiryBuffer);
		return remaining.isNegative() ? Duration.ZERO : remaining;
	}

}
