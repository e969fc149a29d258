package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * When the caller stops waiting for Redis: one operation may send more than one command
 * (a script that is not loaded yet is sent again in full), and all of them share it.
 * Measured on the system's monotonic clock, since it bounds a real wait.
 */
final class Deadline {

	private final long deadlineNanos;

	private Deadline(long deadlineNanos) {
		this.deadlineNanos = deadlineNanos;
	}

	/**
	 * A deadline this long from now.
	 * @param timeout how long from now
	 * @return the deadline
	 */
	static Deadline after(Duration timeout) {
		return new Deadline(System.nanoTime() + timeout.toNanos());
	}

	/**
	 * Wait on the calling thread for a reply until the deadline; a reply that does not
	 * arrive in time is cancelled, so that a client that queues commands while it
	 * reconnects does not send it later.
	 * @param <T> the type of the reply
	 * @param reply the pending reply
	 * @return the reply
	 * @throws TimeoutException if the deadline passed
	 * @throws ExecutionException if the command failed
	 * @throws InterruptedException if the caller was interrupted
	 */
	<T> T await(Future<T> reply) throws TimeoutException, ExecutionException, InterruptedException {
		try {
			return reply.get(Math.max(0, this.deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException | InterruptedException ex) {
			reply.cancel(true);
			throw ex;
		}
	}

}
