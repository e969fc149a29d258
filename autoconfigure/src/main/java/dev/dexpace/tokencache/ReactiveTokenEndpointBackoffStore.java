package dev.dexpace.tokencache;

import java.time.Duration;

import reactor.core.publisher.Mono;

/**
 * The reactive twin of {@link TokenEndpointBackoffStore}: shares the waits a token
 * endpoint announces among the instances of a fleet without blocking. Implemented by the
 * reactive Redis cache.
 * <p>
 * A store that fails must not fail a call: implementations complete empty and report the
 * failure as a cache error.
 *
 * @since 0.1.0
 */
public interface ReactiveTokenEndpointBackoffStore {

	/**
	 * Tell the fleet that a token endpoint asked to be left alone.
	 * @param tokenUri the token endpoint
	 * @param wait how long it asked every caller to wait
	 * @return completes when it is published, or failed to be
	 */
	Mono<Void> publishBusy(String tokenUri, Duration wait);

	/**
	 * Return how much longer a token endpoint asked the fleet to wait.
	 * @param tokenUri the token endpoint
	 * @return the remaining wait, or empty when there is none (or the store failed)
	 */
	Mono<Duration> busy(String tokenUri);

}
