package dev.dexpace.tokencache.actuate;

import java.time.Duration;

import dev.dexpace.tokencache.redis.RedisTokenCacheStatus;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The health of the Redis-backed token cache, read from its
 * {@link RedisTokenCacheStatus} (in a reactive application, the blocking and the
 * reactive cache combined, see {@link RedisTokenCacheStatus#of(java.util.List)}): {@code UP} while Redis answers a
 * {@code PING} and the cache uses it, {@link #DEGRADED} while Redis answers but the
 * cache still skips it after recent failures (its circuit breaker is open until the
 * next probe), {@code DOWN} while Redis does not answer in time. The ping runs outside
 * the circuit breaker, so health checks never open or close it.
 * <p>
 * {@code DEGRADED} is not in Spring Boot's default status order, so it shows on this
 * component without changing the aggregate status; add it to
 * {@code management.endpoint.health.status.order} to let it count.
 *
 * @since 0.1.0
 */
public class RedisTokenCacheHealthIndicator implements HealthIndicator {

	/**
	 * Redis answers, but the cache skips it for now: tokens are fetched from the identity
	 * provider.
	 */
	public static final Status DEGRADED = new Status("DEGRADED",
			"Redis answers, but the token cache skips it after recent failures");

	private final RedisTokenCacheStatus cache;

	private final Duration timeout;

	/**
	 * Create an indicator.
	 * @param cache the state of the cache
	 * @param timeout how long to wait for Redis to answer
	 */
	public RedisTokenCacheHealthIndicator(RedisTokenCacheStatus cache, Duration timeout) {
		this.cache = cache;
		this.timeout = timeout;
	}

	@Override
	public Health health() {
		boolean answered = this.cache.ping(this.timeout);
		boolean circuitOpen = this.cache.isCircuitOpen();
		Health.Builder health = !answered ? Health.down() : circuitOpen ? Health.status(DEGRADED) : Health.up();
		return health.withDetail("circuit", circuitOpen ? "open" : "closed")
			.withDetail("failures", this.cache.failures())
			.withDetail("skipped", this.cache.skipped())
			.withDetail("corruptValues", this.cache.corruptValues())
			.withDetail("unreadableValues", this.cache.unreadableValues())
			.build();
	}

}
