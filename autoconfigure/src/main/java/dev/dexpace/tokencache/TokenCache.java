package dev.dexpace.tokencache;

import org.jspecify.annotations.Nullable;

/**
 * A store of OAuth2 access tokens, keyed by {@link TokenKey}. The cache is the single
 * source of truth for cached tokens: invalidation is a {@link #delete(TokenKey) delete},
 * never a write of a placeholder value.
 * <p>
 * Implementations must be thread-safe. An implementation decides how long an entry lives
 * from {@link CachedToken#expiresAt()}, and must never hand out a token past that instant.
 *
 * @since 0.1.0
 */
public interface TokenCache {

	/**
	 * Return the token cached under the given key.
	 * @param key the key
	 * @return the cached token, or {@code null} on a miss
	 */
	@Nullable CachedToken get(TokenKey key);

	/**
	 * Store a token, replacing any token held under the same key.
	 * @param key the key
	 * @param token the token
	 */
	void put(TokenKey key, CachedToken token);

	/**
	 * Remove the entry for the given key. Deleting a missing key does nothing.
	 * @param key the key
	 */
	void delete(TokenKey key);

	/**
	 * Remove the entry for the given key only while it still holds the rejected token, so
	 * that a token a concurrent caller has just fetched is not thrown away.
	 * <p>
	 * The default implementation compares and deletes in two steps; implementations
	 * should override it with an atomic operation.
	 * @param key the key
	 * @param rejected the token the downstream API rejected
	 */
	default void delete(TokenKey key, CachedToken rejected) {
		CachedToken current = get(key);
		if (current != null && current.sameTokenAs(rejected)) {
			delete(key);
		}
	}

	/**
	 * Remove every entry of this cache.
	 */
	void clear();

}
