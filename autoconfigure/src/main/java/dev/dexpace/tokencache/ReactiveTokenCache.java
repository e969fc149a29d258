package dev.dexpace.tokencache;

import reactor.core.publisher.Mono;

/**
 * The non-blocking twin of {@link TokenCache}, for reactive applications: the same four
 * operations and the same conditional delete, returning {@link Mono}s. An implementation
 * never blocks the thread that subscribes, so an out-of-process backend awaits its I/O
 * instead of holding an event loop.
 * <p>
 * The semantics are those of {@link TokenCache}: the cache is the single source of truth
 * for cached tokens, invalidation is a delete, and a token is never handed out past
 * {@link CachedToken#expiresAt()}. Nothing happens until a returned {@code Mono} is
 * subscribed.
 *
 * @since 0.1.0
 */
public interface ReactiveTokenCache {

	/**
	 * Return the token cached under the given key.
	 * @param key the key
	 * @return the cached token, or an empty {@code Mono} on a miss
	 */
	Mono<CachedToken> get(TokenKey key);

	/**
	 * Store a token, replacing any token held under the same key.
	 * @param key the key
	 * @param token the token
	 * @return completes when the token is stored
	 */
	Mono<Void> put(TokenKey key, CachedToken token);

	/**
	 * Remove the entry for the given key. Deleting a missing key does nothing.
	 * @param key the key
	 * @return completes when the entry is gone
	 */
	Mono<Void> delete(TokenKey key);

	/**
	 * Remove the entry for the given key only while it still holds the rejected token, so
	 * that a token a concurrent caller has just fetched is not thrown away.
	 * <p>
	 * The default implementation compares and deletes in two steps; implementations
	 * should override it with an atomic operation.
	 * @param key the key
	 * @param rejected the token the downstream API rejected
	 * @return completes when the rejected token is no longer cached under the key
	 */
	default Mono<Void> delete(TokenKey key, CachedToken rejected) {
		return get(key).filter((current) -> current.sameTokenAs(rejected)).flatMap((current) -> delete(key));
	}

	/**
	 * Remove every entry of this cache.
	 * @return completes when the cache is empty
	 */
	Mono<Void> clear();

}
