package dev.dexpace.tokencache;

import java.time.Duration;

import reactor.core.publisher.Mono;

/**
 * The non-blocking twin of {@link TokenFetchLock}, for a {@link ReactiveTokenCache}
 * shared by a fleet.
 *
 * @since 0.1.0
 */
public interface ReactiveTokenFetchLock {

	/**
	 * Try to take the lease on a key, without waiting for it.
	 * @param key the key of the missing token
	 * @return the lease, or empty while another instance holds it
	 */
	Mono<Lease> tryLock(TokenKey key);

	/**
	 * Return how long a lease lasts unless released.
	 * @return the lease time
	 */
	Duration leaseTime();

	/**
	 * A lease on one key, held while its holder fetches the token.
	 */
	@FunctionalInterface
	interface Lease {

		/**
		 * Give the lease up, only if it is still ours.
		 * @return completes when the lease is given up (or could not be)
		 */
		Mono<Void> release();

	}

}
