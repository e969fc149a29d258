package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;

import dev.dexpace.tokencache.TokenCacheListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a Redis outage off the request path: each operation is bounded by a timeout, and
 * after a run of consecutive failures a circuit breaker stops calling Redis for a while,
 * then lets one call through as a probe and closes again when it succeeds.
 * <p>
 * The timeout is enforced here, as a {@link Deadline} the caller waits on for the reply
 * of its command (see {@link CacheCommands}), rather than through the Redis client's
 * command timeout: {@code spring.data.redis.timeout} belongs to the application and
 * bounds every Redis call it makes (often with a much larger value), it does not exist in
 * the same form for every client, and it does not cover a client that queues commands
 * while it reconnects. A reply that does not arrive in time is cancelled.
 * <p>
 * Only Redis can fail an operation: a command that failed, did not answer in time, or a
 * connection that could not be made. How busy this application is never counts: the
 * commands are not queued behind each other here (see {@link LettuceCacheCommands} and,
 * for other clients, {@link HandOffCacheCommands}).
 * <p>
 * The state of an outage (circuit, counters, the log lines) lives in a
 * {@link RedisCircuitBreaker}, shared with the reactive cache.
 */
final class RedisFaultGuard {

	private static final Log logger = LogFactory.getLog(RedisFaultGuard.class);

	private final Duration timeout;

	private final RedisCircuitBreaker breaker;

	/**
	 * Create a guard.
	 * @param timeout how long one operation may take
	 * @param failureThreshold how many consecutive failures open the circuit
	 * @param openDuration how long the circuit stays open before a probe
	 * @param nanoTime a monotonic clock in nanoseconds, for the circuit breaker
	 */
	RedisFaultGuard(Duration timeout, int failureThreshold, Duration openDuration, LongSupplier nanoTime) {
		this(timeout, new RedisCircuitBreaker(failureThreshold, openDuration, nanoTime));
	}

	/**
	 * Create a guard around a breaker.
	 * @param timeout how long one operation may take
	 * @param breaker the breaker that keeps the state of an outage
	 */
	RedisFaultGuard(Duration timeout, RedisCircuitBreaker breaker) {
		if (timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("timeout must be positive");
		}
		this.timeout = timeout;
		this.breaker = breaker;
	}

	/**
	 * Run an operation that returns a value.
	 * @param <T> the type of the value
	 * @param operation the operation name, for the log
	 * @param command the operation
	 * @return the value, or {@code null} if Redis failed, timed out or is skipped while
	 * the circuit is open
	 */
	<T> @Nullable T call(String operation, Command<T> command) {
		return execute(operation, command).value();
	}

	/**
	 * Run an operation without a value.
	 * @param operation the operation name, for the log
	 * @param step the operation
	 * @return whether the operation ran and succeeded
	 */
	boolean run(String operation, Step step) {
		return execute(operation, (deadline) -> {
			step.send(deadline);
			return Boolean.TRUE;
		}).succeeded();
	}

	/**
	 * Run an operation outside the breaker, with its own wait, to open connections ahead
	 * of the first real operation or to check Redis' health. Its failure is not counted.
	 * @param step the operation
	 * @param maxWait how long to wait for it
	 * @return whether it succeeded in time
	 */
	boolean probe(Step step, Duration maxWait) {
		try {
			step.send(Deadline.after(maxWait));
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		catch (Exception ex) {
			if (logger.isDebugEnabled()) {
				logger.debug("Redis token cache could not reach Redis", ex);
			}
			return false;
		}
	}

	private <T> Outcome<T> execute(String operation, Command<T> command) {
		if (!this.breaker.permit()) {
			return Outcome.failed();
		}
		long started = this.breaker.now();
		try {
			T value = command.send(Deadline.after(this.timeout));
			this.breaker.succeeded(started);
			return new Outcome<>(true, value);
		}
		catch (InterruptedException ex) {
			// The caller gave up, not Redis.
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			this.breaker.failed(operation, (ex.getCause() != null) ? ex.getCause() : ex);
		}
		catch (Exception ex) {
			this.breaker.failed(operation, ex);
		}
		return Outcome.failed();
	}

	/**
	 * Return how many Redis operations failed or timed out.
	 * @return the number of failures
	 */
	long failures() {
		return this.breaker.failures();
	}

	/**
	 * Report each failure to a listener.
	 * @param listener the listener
	 */
	void setListener(TokenCacheListener listener) {
		this.breaker.setListener(listener);
	}

	/**
	 * Return how many operations were not sent to Redis because the circuit was open.
	 * @return the number of skipped operations
	 */
	long skipped() {
		return this.breaker.skipped();
	}

	/**
	 * Return whether Redis is currently skipped (circuit open or probing).
	 * @return whether the circuit is not closed
	 */
	boolean isOpen() {
		return this.breaker.isOpen();
	}

	private record Outcome<T>(boolean succeeded, @Nullable T value) {

		static <T> Outcome<T> failed() {
			return new Outcome<>(false, null);
		}

	}

	/**
	 * One operation: its commands, sent and waited for until the deadline.
	 *
	 * @param <T> the type of its value
	 */
	@FunctionalInterface
	interface Command<T> {

		/**
		 * Send the commands and wait for their replies.
		 * @param deadline when to stop waiting
		 * @return the value
		 * @throws Exception when Redis failed or did not answer in time
		 */
		@Nullable T send(Deadline deadline) throws Exception;

	}

	/**
	 * One operation without a value.
	 */
	@FunctionalInterface
	interface Step {

		/**
		 * Send the commands and wait for their replies.
		 * @param deadline when to stop waiting
		 * @throws Exception when Redis failed or did not answer in time
		 */
		void send(Deadline deadline) throws Exception;

	}

}
