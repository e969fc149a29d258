package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * How long an instance that found another instance's fetch lease on a key waits, and how
 * often it looks for the token meanwhile.
 * <p>
 * Waiters poll the cache rather than listen for the token: a {@code GET} every few
 * milliseconds for the short time a token request takes costs less than a subscription per
 * instance, needs no extra connection, works the same on a Redis Cluster, and cannot miss
 * a notification. The delay starts at {@value #FIRST_DELAY_MILLIS} ms and doubles up to
 * {@value #MAX_DELAY_MILLIS} ms, each drawn between half and all of it so that the
 * instances of a fleet do not poll in step.
 * <p>
 * A waiter gives up after twice the lease time: the holder's lease, plus one more for a
 * waiter that takes the lease over from a holder that died (each poll also tries to take
 * the lease). Then it fetches on its own, so a lost lease never blocks anyone.
 */
final class LeaseWait {

	static final long FIRST_DELAY_MILLIS = 5;

	static final long MAX_DELAY_MILLIS = 100;

	private final LongSupplier nanoTime;

	private final long deadlineNanos;

	private int polls;

	LeaseWait(Duration leaseTime, LongSupplier nanoTime) {
		this.nanoTime = nanoTime;
		this.deadlineNanos = nanoTime.getAsLong() + leaseTime.multipliedBy(2).toNanos();
	}

	/**
	 * Return whether the waiter should stop waiting and fetch on its own.
	 * @return whether the wait is over
	 */
	boolean isOver() {
		return this.nanoTime.getAsLong() - this.deadlineNanos >= 0;
	}

	/**
	 * Return the delay before the next poll, never past the end of the wait.
	 * @return the delay in milliseconds
	 */
	long nextDelayMillis() {
		long ceiling = Math.min(MAX_DELAY_MILLIS, FIRST_DELAY_MILLIS << Math.min(this.polls, 16));
		this.polls++;
		long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
		long remaining = Math.max(0, (this.deadlineNanos - this.nanoTime.getAsLong()) / 1_000_000);
		return Math.max(1, Math.min(delay, remaining));
	}

	/**
	 * Return how many times the waiter polled.
	 * @return the number of polls
	 */
	int polls() {
		return this.polls;
	}

}
