package dev.dexpace.tokencache;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * An optional companion of a shared {@link TokenCache}: a short lease per key that lets
 * one instance of a fleet fetch a missing token while the others wait for it to appear in
 * the cache, so that N instances that miss together make one token request instead of N.
 * <p>
 * The caching manager consults the lock only on a miss, after its in-process
 * single-flight, so one thread per instance takes part. A cache without a lock (the
 * in-memory one) pays nothing for it.
 * <p>
 * A lease expires on its own after {@link #leaseTime()}: an instance that dies holding it
 * delays the others by at most that long. A lock that cannot reach its store must not
 * make callers wait: it grants a lease that coordinates nothing.
 *
 * @since 0.1.0
 */
public interface TokenFetchLock {

	/**
	 * Try to take the lease on a key, without waiting.
	 * @param key the key of the missing token
	 * @return the lease, or {@code null} while another instance holds it
	 */
	@Nullable Lease tryLock(TokenKey key);

	/**
	 * Return how long a lease lasts unless released, and so how long a waiter may have to
	 * wait for a holder that died.
	 * @return the lease time
	 */
	Duration leaseTime();

	/**
	 * A lease on one key, held while its holder fetches the token.
	 */
	@FunctionalInterface
	interface Lease {

		/**
		 * Give the lease up, only if it is still ours: a lease that expired and was taken
		 * by another instance is left alone.
		 */
		void release();

	}

}
