package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The timeout is enforced here, by running each operation on a small pool of daemon
 * threads and waiting on its {@link Future} for at most the timeout, rather than through
 * the Redis client's command timeout: {@code spring.data.redis.timeout} belongs to the
 * application and bounds every Redis call it makes (often with a much larger value), it
 * does not exist in the same form for every client, and it does not cover a client that
 * queues commands while it reconnects. A call that times out is interrupted, which
 * cancels a blocked Lettuce command and frees its thread. The price is one thread
 * hand-off per operation, measured by the benchmarks module.
 * <p>
 * The state of an outage (circuit, counters, the log lines) lives in a
 * {@link RedisCircuitBreaker}, shared with the reactive cache.
 */
final class RedisFaultGuard implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(RedisFaultGuard.class);

	private static final int POOL_SIZE = 8;

	private static final int QUEUE_SIZE = 1024;

	private final long timeoutNanos;

	private final RedisCircuitBreaker breaker;

	private final ThreadPoolExecutor executor;

	/**
	 * Create a guard.
	 * @param timeout how long one operation may take
	 * @param failureThreshold how many consecutive failures open the circuit
	 * @param openDuration how long the circuit stays open before a probe
	 * @param nanoTime a monotonic clock in nanoseconds
	 */
	RedisFaultGuard(Duration timeout, int failureThreshold, Duration openDuration, LongSupplier nanoTime) {
		if (timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("timeout must be positive");
		}
		this.timeoutNanos = timeout.toNanos();
		this.breaker = new RedisCircuitBreaker(failureThreshold, openDuration, nanoTime);
		this.executor = new ThreadPoolExecutor(POOL_SIZE, POOL_SIZE, 30, TimeUnit.SECONDS,
				new ArrayBlockingQueue<>(QUEUE_SIZE), new DaemonThreads());
		this.executor.allowCoreThreadTimeOut(true);
	}

	/**
	 * Run an operation that returns a value.
	 * @param <T> the type of the value
	 * @param operation the operation name, for the log
	 * @param action the operation
	 * @return the value, or {@code null} if Redis failed, timed out or is skipped while
	 * the circuit is open
	 */
	<T> @Nullable T call(String operation, Callable<@Nullable T> action) {
		Outcome<T> outcome = execute(operation, action);
		return outcome.value();
	}

	/**
	 * Run an operation without a value.
	 * @param operation the operation name, for the log
	 * @param action the operation
	 * @return whether the operation ran and succeeded
	 */
	boolean run(String operation, Runnable action) {
		return execute(operation, () -> {
			action.run();
			return Boolean.TRUE;
		}).succeeded();
	}

	/**
	 * Run an action outside the breaker, with its own wait, to open connections ahead of
	 * the first real operation. Its failure is not counted.
	 * @param action the action
	 * @param maxWait how long to wait for it
	 * @return whether it succeeded in time
	 */
	boolean warmUp(Runnable action, Duration maxWait) {
		Future<?> future = null;
		try {
			future = this.executor.submit(action);
			future.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		catch (ExecutionException | TimeoutException | RejectedExecutionException ex) {
			if (future != null) {
				// Repeated health checks must not pile up blocked commands on the pool.
				future.cancel(true);
			}
			if (logger.isDebugEnabled()) {
				logger.debug("Redis token cache could not connect at start-up", ex);
			}
			return false;
		}
	}

	private <T> Outcome<T> execute(String operation, Callable<@Nullable T> action) {
		if (!this.breaker.permit()) {
			return Outcome.failed();
		}
		long started = this.breaker.now();
		Future<@Nullable T> future;
		try {
			future = this.executor.submit(action);
		}
		catch (RejectedExecutionException ex) {
			this.breaker.failed(operation, ex);
			return Outcome.failed();
		}
		try {
			T value = future.get(this.timeoutNanos, TimeUnit.NANOSECONDS);
			this.breaker.succeeded(started);
			return new Outcome<>(true, value);
		}
		catch (TimeoutException ex) {
			future.cancel(true);
			this.breaker.failed(operation, ex);
		}
		catch (ExecutionException ex) {
			this.breaker.failed(operation, (ex.getCause() != null) ? ex.getCause() : ex);
		}
		catch (InterruptedException ex) {
			future.cancel(true);
			Thread.currentThread().interrupt();
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

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

	private record Outcome<T>(boolean succeeded, @Nullable T value) {

		static <T> Outcome<T> failed() {
			return new Outcome<>(false, null);
		}

	}

	private static final class DaemonThreads implements ThreadFactory {

		private final AtomicInteger count = new AtomicInteger();

		@Override
		public Thread newThread(Runnable runnable) {
			Thread thread = new Thread(runnable, "dexpace-token-cache-redis-" + this.count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		}

	}

}
