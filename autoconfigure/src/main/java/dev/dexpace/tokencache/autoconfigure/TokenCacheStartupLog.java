package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.support.NoOpTokenCache;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;

/**
 * Logs one INFO line at start-up that states the active configuration of the token
 * cache. Never a secret: of the encryption key only whether one is set.
 */
final class TokenCacheStartupLog implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(TokenCacheAutoConfiguration.class);

	private static final String REDIS_CACHE = "dev.dexpace.tokencache.redis.RedisTokenCache";

	private final TokenCacheProperties properties;

	private final ObjectProvider<TokenCache> tokenCache;

	TokenCacheStartupLog(TokenCacheProperties properties, ObjectProvider<TokenCache> tokenCache) {
		this.properties = properties;
		this.tokenCache = tokenCache;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (logger.isInfoEnabled()) {
			logger.info(describe(this.tokenCache.getIfUnique()));
		}
	}

	private static String lock(TokenCacheProperties.Redis.Lock lock) {
		return lock.isEnabled() ? "on (lease " + TokenCacheProperties.format(lock.getLease()) + ")" : "off";
	}

	/**
	 * How many previous keys are read, only when there are any: how many, never which.
	 */
	private static String previousKeys(int count) {
		return (count > 0) ? " (reads " + count + " previous " + ((count == 1) ? "key" : "keys") + ")" : "";
	}

	private static String nearCache(TokenCacheProperties.Redis.NearCache nearCache) {
		return nearCache.isEnabled() ? "on (max-size " + nearCache.getMaxSize() + ", time-to-live "
				+ TokenCacheProperties.format(nearCache.getTimeToLive()) + ")" : "off";
	}

	String describe(@Nullable TokenCache cache) {
		StringBuilder line = new StringBuilder("Token cache: ");
		if (cache instanceof InMemoryTokenCache) {
			line.append("type=memory, max-system-tokens=")
				.append(this.properties.getMaxSystemTokens())
				.append(", max-user-tokens=")
				.append(this.properties.getMaxUserTokens());
		}
		else if (cache != null && cache.getClass().getName().equals(REDIS_CACHE)) {
			TokenCacheProperties.Redis redis = this.properties.getRedis();
			line.append("type=redis, key-prefix=")
				.append(redis.getKeyPrefix())
				.append(", timeout=")
				.append(TokenCacheProperties.format(redis.getTimeout()))
				.append(", failure-threshold=")
				.append(redis.getFailureThreshold())
				.append(", open-duration=")
				.append(TokenCacheProperties.format(redis.getOpenDuration()))
				.append(", encryption=")
				.append((redis.encryptionKeyBytes() != null) ? "on" : "off")
				.append(previousKeys(redis.previousEncryptionKeyBytes().size()))
				.append(", lock=")
				.append(lock(redis.getLock()))
				.append(", near-cache=")
				.append(nearCache(redis.getNearCache()));
		}
		else if (cache instanceof NoOpTokenCache) {
			line.append("type=none (every call fetches a token)");
		}
		else {
			line.append("type=custom (")
				.append((cache != null) ? ClassUtils.getUserClass(cache).getName() : "no unique TokenCache bean")
				.append(')');
		}
		return line.append(", expiry-buffer=")
			.append(TokenCacheProperties.format(this.properties.getExpiryBuffer()))
			.append(", fallback-ttl=")
			.append(TokenCacheProperties.format(this.properties.getFallbackTtl()))
			.append(", refresh-ahead=")
			.append(TokenCacheProperties.format(this.properties.getRefreshAhead()))
			.append(", token-request-timeout=")
			.append(TokenCacheProperties.format(this.properties.getTokenRequestTimeout()))
			.append(", retry-on-unauthorized=")
			.append(this.properties.isRetryOnUnauthorized())
			.toString();
	}

}
