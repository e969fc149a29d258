package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import dev.dexpace.tokencache.TokenCacheListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The state of a Redis outage, shared by the blocking ({@link RedisFaultGuard}) and the
 * reactive ({@link ReactiveRedisTokenCache}) caches, which differ only in how they bound
 * an operation by the timeout. After a run of consecutive failures the breaker opens and
 * Redis is left alone; once the open duration has passed one caller is let through as a
 * probe, and its success closes the breaker again.
 * <p>
 * The first failure of an outage is logged at WARN and the recovery once at INFO;
 * everything in between goes to DEBUG.
 */
final class RedisCircuitBreaker {

	private static final Log logger = LogFactory.getLog(RedisCircuitBreaker.class);

	private final int failureThreshold;

	private final long openNanos;

	private final LongSupplier nanoTime;

	private final AtomicReference<Circuit> circuit = new AtomicReference<>(Circuit.CLOSED);

	private final AtomicInteger consecutiveFailures = new AtomicInteger();

	private final AtomicBoolean outage = new AtomicBoolean();

	private final AtomicLong failures = new AtomicLong();

	private final AtomicLong skipped = new AtomicLong();

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	// When the last failure was recorded: a success of an operation that started earlier
	// says nothing about Redis now, so it neither closes the circuit nor ends an outage.
	private volatile long lastFailure;

	/**
	 * Create a breaker.
	 * @param failureThreshold how many consecutive failures open the circuit
	 * @param openDuration how long the circuit stays open before a probe
	 * @param nanoTime a monotonic clock in nanoseconds
	 */
	RedisCircuitBreaker(int failureThreshold, Duration openDuration, LongSupplier nanoTime) {
		if (failureThreshold <= 0) {
			throw new IllegalArgumentException("failureThreshold must be positive");
		}
		if (openDuration.isNegative() || openDuration.isZero()) {
			throw new IllegalArgumentException("openDuration must be positive");
		}
		this.failureThreshold = failureThreshold;
		this.openNanos = openDuration.toNanos();
		this.nanoTime = nanoTime;
		this.lastFailure = nanoTime.getAsLong() - 1;
	}

	/**
	 * Report each failure to a listener.
	 * @param listener the listener
	 */
	void setListener(TokenCacheListener listener) {
		this.listener = listener;
	}

	/**
	 * Return the current time of the breaker's clock, to pass to
	 * {@link #succeeded(long)} when the operation ends.
	 * @return the time in nanoseconds
	 */
	long now() {
		return this.nanoTime.getAsLong();
	}

	/**
	 * Ask whether an operation may go to Redis. A refusal is counted as skipped.
	 * @return whether to call Redis
	 */
	boolean permit() {
		Circuit current = circuit();
		if (current.state() == State.CLOSED) {
			return true;
		}
		// A probe that never reported (a reactive subscriber that cancelled it) must not
		// hold the breaker half-open for good: after another open duration, probe again.
		if (this.nanoTime.getAsLong() - current.since() >= this.openNanos
				&& this.circuit.compareAndSet(current, new Circuit(State.HALF_OPEN, this.nanoTime.getAsLong()))) {
			// Exactly one caller wins the probe; the others keep skipping Redis meanwhile.
			return true;
		}
		this.skipped.incrementAndGet();
		return false;
	}

	/**
	 * Record a successful operation.
	 * @param started when the operation started, from {@link #now()}
	 */
	void succeeded(long started) {
		if (started - this.lastFailure < 0) {
			return;
		}
		this.consecutiveFailures.set(0);
		if (circuit().state() != State.CLOSED) {
			this.circuit.set(Circuit.CLOSED);
		}
		if (this.outage.get() && this.outage.compareAndSet(true, false)) {
			logger.info("Redis token cache recovered; tokens are cached in Redis again");
		}
	}

	/**
	 * Record a failed or timed out operation.
	 * @param operation the operation name, for the log
	 * @param ex what went wrong; only its class name is logged above DEBUG
	 */
	void failed(String operation, Throwable ex) {
		this.lastFailure = this.nanoTime.getAsLong();
		this.failures.incrementAndGet();
		this.listener.cacheError(operation);
		int consecutive = this.consecutiveFailures.incrementAndGet();
		if (this.outage.compareAndSet(false, true)) {
			// The exception's message is left out on purpose: it is the client's text, not ours.
			logger.warn("Redis token cache " + operation + " failed (" + ex.getClass().getName()
					+ "); tokens are fetched from the identity provider until Redis answers again");
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Redis token cache " + operation + " failed", ex);
		}
		Circuit current = circuit();
		if (current.state() == State.HALF_OPEN
				|| (current.state() == State.CLOSED && consecutive >= this.failureThreshold)) {
			if (this.circuit.compareAndSet(current, new Circuit(State.OPEN, this.nanoTime.getAsLong()))
					&& logger.isDebugEnabled()) {
				logger.debug("Redis token cache circuit opened after " + consecutive + " consecutive failures");
			}
		}
	}

	/**
	 * Return how many Redis operations failed or timed out.
	 * @return the number of failures
	 */
	long failures() {
		return this.failures.get();
	}

	/**
	 * Return how many operations were not sent to Redis because the circuit was open.
	 * @return the number of skipped operations
	 */
	long skipped() {
		return this.skipped.get();
	}

	/**
	 * Return whether Redis is currently skipped (circuit open or probing).
	 * @return whether the circuit is not closed
	 */
	boolean isOpen() {
		return circuit().state() != State.CLOSED;
	}

	private enum State {

		CLOSED, OPEN, HALF_OPEN

	}

	/**
	 * The state of the breaker and since when it holds, swapped as one value so that a
	 * reader never pairs a state with the time of another.
	 */
	private record Circuit(State state, long since) {

		static final Circuit CLOSED = new Circuit(State.CLOSED, 0);

	}

	private Circuit circuit() {
		// Never null: it starts closed and is only ever replaced by another circuit.
		return Objects.requireNonNull(this.circuit.get());
	}

}
