package dev.dexpace.tokencache.metrics;

import dev.dexpace.tokencache.redis.NearCache;
import dev.dexpace.tokencache.redis.RedisTokenCacheStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds the state of a Redis token cache's circuit breaker, read from its
 * {@link RedisTokenCacheStatus} (in a reactive application, the blocking and the reactive
 * cache combined): the gauge
 * {@value #CIRCUIT_OPEN} (1 while Redis is skipped after repeated failures, else 0) and
 * the counter {@value #SKIPPED} of operations not sent to Redis meanwhile. Failed
 * operations are counted by {@link TokenCacheMetrics}.
 *
 * @since 0.1.0
 */
public final class RedisTokenCacheMeterBinder implements MeterBinder {

	/**
	 * 1 while the cache skips Redis, else 0.
	 */
	public static final String CIRCUIT_OPEN = "dexpace.token.cache.redis.circuit.open";

	/**
	 * Operations not sent to Redis because the circuit was open.
	 */
	public static final String SKIPPED = "dexpace.token.cache.redis.skipped";

	/**
	 * Tokens held by the near cache, when there is one.
	 */
	public static final String NEAR_ENTRIES = "dexpace.token.cache.redis.near.entries";

	/**
	 * Invalidation messages the near cache received, when there is one.
	 */
	public static final String NEAR_INVALIDATIONS = "dexpace.token.cache.redis.near.invalidations";

	/**
	 * 1 while the near cache is subscribed to invalidations (and serves hits), else 0.
	 */
	public static final String NEAR_LISTENING = "dexpace.token.cache.redis.near.listening";

	private final RedisTokenCacheStatus cache;

	/**
	 * Create a binder.
	 * @param cache the state of the cache
	 */
	public RedisTokenCacheMeterBinder(RedisTokenCacheStatus cache) {
		this.cache = cache;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder(CIRCUIT_OPEN, this.cache, (cache) -> cache.isCircuitOpen() ? 1 : 0)
			.description("Whether the Redis token cache skips Redis after repeated failures (1) or not (0)")
			.strongReference(true)
			.register(registry);
		FunctionCounter.builder(SKIPPED, this.cache, RedisTokenCacheStatus::skipped)
			.description("Redis token cache operations not sent to Redis while its circuit was open")
			.register(registry);
		NearCache near = this.cache.nearCache();
		if (near != null) {
			Gauge.builder(NEAR_ENTRIES, near, NearCache::size)
				.description("Tokens held by the near cache in front of Redis")
				.strongReference(true)
				.register(registry);
			FunctionCounter.builder(NEAR_INVALIDATIONS, near, NearCache::invalidationsReceived)
				.description("Invalidation messages the near cache received from Redis pub/sub")
				.register(registry);
			Gauge.builder(NEAR_LISTENING, near, (cache) -> cache.isListening() ? 1 : 0)
				.description("Whether the near cache is subscribed to invalidations and serves hits (1) or not (0)")
				.strongReference(true)
				.register(registry);
		}
	}

}
