package dev.dexpace.tokencache.autoconfigure;

import java.util.Locale;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.support.NoOpTokenCache;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Logs one INFO line at start-up that states the active configuration of the token
 * cache. Never a secret: of the encryption key only whether one is set.
 */
final class TokenCacheStartupLog implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(TokenCacheAutoConfiguration.class);

	private static final String REDIRECTS = "spring.http.clients.redirects";

	private static final String REDIS_CACHE = "dev.dexpace.tokencache.redis.RedisTokenCache";

	private final TokenCacheProperties properties;

	private final ObjectProvider<TokenCache> tokenCache;

	private final Environment environment;

	TokenCacheStartupLog(TokenCacheProperties properties, ObjectProvider<TokenCache> tokenCache,
			Environment environment) {
		this.properties = properties;
		this.tokenCache = tokenCache;
		this.environment = environment;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (logger.isInfoEnabled()) {
			logger.info(describe(this.tokenCache.getIfUnique()));
		}
		String redirects = redirectWarning();
		if (redirects != null && logger.isWarnEnabled()) {
			logger.warn(redirects);
		}
	}

	/**
	 * HTTP clients that follow redirects send the token on to the redirect target (the
	 * JDK client even to another host), and a 401 from there cannot be told from our
	 * token being rejected: it deletes a valid token and costs a token request on every
	 * call. Nothing in an interceptor or filter sees which host answered, so say it.
	 * @return the warning, or {@code null} when redirects are not followed
	 */
	@Nullable String redirectWarning() {
		String redirects = this.environment.getProperty(REDIRECTS, "follow-when-possible")
			.trim()
			.toLowerCase(Locale.ROOT)
			.replace('_', '-');
		if (redirects.equals("dont-follow")) {
			return null;
		}
		return "Token cache: HTTP clients follow redirects (" + REDIRECTS + "=" + redirects
				+ "): a call that names a client registration sends its token on to where it is redirected, and a 401"
				+ " from there deletes a valid token; set " + REDIRECTS + "=dont-follow";
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
