package dev.dexpace.tokencache.autoconfigure;

/**
 * The token cache backends, selected with {@code dexpace.token-cache.type}.
 *
 * @since 0.1.0
 */
public enum TokenCacheType {

	/**
	 * Bounded in-memory cache (the default).
	 */
	MEMORY,

	/**
	 * No cache: every call fetches a token. For debugging.
	 */
	NONE

}
