package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.ToLongFunction;

import org.jspecify.annotations.Nullable;

/**
 * The operational state of a Redis token cache, blocking or reactive: what its health
 * indicator, its meters and operators read, never a concrete cache class.
 *
 * @since 0.1.0
 */
public interface RedisTokenCacheStatus {

	/**
	 * Ask Redis for a {@code PONG} outside the circuit breaker, for health checks: the
	 * answer neither opens nor closes the circuit.
	 * @param maxWait how long to wait for Redis
	 * @return whether Redis answered in time
	 */
	boolean ping(Duration maxWait);

	/**
	 * Return whether Redis is currently skipped after repeated failures.
	 * @return whether the circuit breaker is open
	 */
	boolean isCircuitOpen();

	/**
	 * Return how many Redis operations failed or timed out since start-up.
	 * @return the number of failures
	 */
	long failures();

	/**
	 * Return how many operations were not sent to Redis because it was failing.
	 * @return the number of skipped operations
	 */
	long skipped();

	/**
	 * Return how many corrupt or foreign values were found (and deleted) under the prefix.
	 * @return the number of corrupt values
	 */
	long corruptValues();

	/**
	 * Return how many values were left in Redis because this instance cannot open them:
	 * sealed with a key it does not have, or plain while it encrypts. During a rolling
	 * change of the encryption settings these are another instance's values, not damage.
	 * @return the number of unreadable values
	 */
	long unreadableValues();

	/**
	 * Return the near cache in front of Redis, if there is one.
	 * @return the near cache, or {@code null}
	 */
	@Nullable NearCache nearCache();

	/**
	 * Return the state of several caches of one application (its blocking and its
	 * reactive cache) as one: the circuit is open while any cache skips Redis, Redis
	 * answers when every cache reaches it, the counters add up, and the near cache is the
	 * first one found (the caches of an application share it).
	 * @param statuses the caches, at least one
	 * @return their combined state
	 */
	static RedisTokenCacheStatus of(List<? extends RedisTokenCacheStatus> statuses) {
		if (statuses.isEmpty()) {
			throw new IllegalArgumentException("statuses must not be empty");
		}
		if (statuses.size() == 1) {
			return statuses.get(0);
		}
		List<RedisTokenCacheStatus> all = List.copyOf(statuses);
		ToLongFunction<ToLongFunction<RedisTokenCacheStatus>> sum = (count) -> all.stream().mapToLong(count).sum();
		return new RedisTokenCacheStatus() {

			@Override
			public boolean ping(Duration maxWait) {
				return all.stream().allMatch((status) -> status.ping(maxWait));
			}

			@Override
			public boolean isCircuitOpen() {
				return all.stream().anyMatch(RedisTokenCacheStatus::isCircuitOpen);
			}

			@Override
			public long failures() {
				return sum.applyAsLong(RedisTokenCacheStatus::failures);
			}

			@Override
			public long skipped() {
				return sum.applyAsLong(RedisTokenCacheStatus::skipped);
			}

			@Override
			public long corruptValues() {
				return sum.applyAsLong(RedisTokenCacheStatus::corruptValues);
			}

			@Override
			public long unreadableValues() {
				return sum.applyAsLong(RedisTokenCacheStatus::unreadableValues);
			}

			@Override
			public @Nullable NearCache nearCache() {
				return all.stream().map(RedisTokenCacheStatus::nearCache).filter(Objects::nonNull).findFirst().orElse(null);
			}

		};
	}

}
