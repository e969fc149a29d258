package dev.dexpace.tokencache;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Shares the waits a token endpoint announces ({@code Retry-After}) among the instances
 * of a fleet, so that they wait together instead of each probing the endpoint: the
 * instance that is asked to wait publishes it, and the others read it before their own
 * token request. Implemented by the blocking Redis cache; optional for other caches.
 * <p>
 * A store that fails must not fail a call: implementations return {@code null} and
 * report the failure as a cache error.
 *
 * @since 0.1.0
 * @see ReactiveTokenEndpointBackoffStore
 */
public interface TokenEndpointBackoffStore {

	/**
	 * Tell the fleet that a token endpoint asked to be left alone.
	 * @param tokenUri the token endpoint
	 * @param wait how long it asked every caller to wait
	 */
	void publishBusy(String tokenUri, Duration wait);

	/**
	 * Return how much longer a token endpoint asked the fleet to wait.
	 * @param tokenUri the token endpoint
	 * @return the remaining wait, or {@code null} when there is none (or the store failed)
	 */
	@Nullable Duration busy(String tokenUri);

}
