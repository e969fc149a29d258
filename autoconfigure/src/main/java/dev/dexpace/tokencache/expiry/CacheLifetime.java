package dev.dexpace.tokencache.expiry;

import java.time.Duration;
import java.time.Instant;

/**
 * How long a cache may keep a token: its remaining life minus the expiry buffer, never
 * negative and never past the token's real expiry. Every {@code TokenCache} shipped with
 * this project derives its entry lifetime here.
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
		Duration remaining = Duration.between(now, expiresAt).minus(expiryBuffer);
		return remaining.isNegative() ? Duration.ZERO : remaining;
	}

}
