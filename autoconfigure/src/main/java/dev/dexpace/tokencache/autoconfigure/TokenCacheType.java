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
	 * Redis, shared by every instance of the application, on the application's
	 * {@code spring.data.redis.*} connection. Needs spring-boot-starter-data-redis.
	 */
	REDIS,

	/**
	 * No cache: every call fetches a token. For debugging.
	 */
	NONE

}
