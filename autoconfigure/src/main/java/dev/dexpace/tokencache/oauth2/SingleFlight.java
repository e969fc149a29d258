package dev.dexpace.tokencache.oauth2;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * Runs at most one action per key at a time: callers that arrive while an action for
 * their key runs wait for it and share its result, or its exception.
 *
 * @param <K> the key type
 * @param <V> the result type
 */
final class SingleFlight<K, V> {

	private final ConcurrentMap<K, CompletableFuture<@Nullable V>> inFlight = new ConcurrentHashMap<>();

	/**
	 * Run the action for the key, or wait for the run already in flight.
	 * @param key the key
	 * @param action the action, run on the calling thread if no run is in flight
	 * @return the result of the run
	 */
	@Nullable V run(K key, Supplier<@Nullable V> action) {
		CompletableFuture<@Nullable V> mine = new CompletableFuture<>();
		CompletableFuture<@Nullable V> leader = this.inFlight.putIfAbsent(key, mine);
		if (leader != null) {
			return await(leader);
		}
		try {
			V result = action.get();
			mine.complete(result);
			return result;
		}
		catch (RuntimeException | Error ex) {
			mine.completeExceptionally(ex);
			throw ex;
		}
		finally {
			this.inFlight.remove(key, mine);
		}
	}

	private static <V> @Nullable V await(CompletableFuture<@Nullable V> leader) {
		try {
			return leader.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for a token request in flight", ex);
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof RuntimeException runtime) {
				throw runtime;
			}
			if (cause instanceof Error error) {
				throw error;
			}
			throw new IllegalStateException("Token request failed", cause);
		}
	}

}
