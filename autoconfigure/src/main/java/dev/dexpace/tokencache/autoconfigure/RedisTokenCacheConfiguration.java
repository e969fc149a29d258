package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.redis.NearCache;
import dev.dexpace.tokencache.redis.RedisTokenCache;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The Redis token cache, selected with {@code dexpace.token-cache.type=redis}, on the
 * application's own {@link RedisConnectionFactory}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(RedisConnectionFactory.class)
@ConditionalOnMissingBean(TokenCache.class)
@Conditional(OnTokenCacheTypeCondition.Redis.class)
class RedisTokenCacheConfiguration {

	/**
	 * How long start-up waits for Redis to answer, for the blocking and the reactive cache.
	 */
	static final Duration CONNECT_WAIT = Duration.ofSeconds(2);

	@Bean
	RedisTokenCache tokenCache(TokenCacheProperties properties,
			ObjectProvider<RedisConnectionFactory> connectionFactory, ObjectProvider<NearCache> nearCache) {
		RedisConnectionFactory factory = connectionFactory.getIfAvailable();
		if (factory == null) {
			throw TokenCacheProperties.invalid("type", "redis",
					"needs a RedisConnectionFactory: configure Redis with spring.data.redis.*");
		}
		TokenCacheProperties.Redis redis = properties.getRedis();
		RedisTokenCache cache = RedisTokenCache.builder(factory)
			.leaseTime(redis.getLock().getLease())
			.nearCache(nearCache.getIfAvailable())
			.keyPrefix(redis.getKeyPrefix())
			.expiryBuffer(properties.getExpiryBuffer())
			.encryptionKey(redis.encryptionKeyBytes())
			.previousEncryptionKeys(redis.previousEncryptionKeyBytes())
			.timeout(redis.getTimeout())
			.failureThreshold(redis.getFailureThreshold())
			.openDuration(redis.getOpenDuration())
			.build();
		// Connect now rather than on the first call, whose short timeout would not cover it.
		cache.warmUp(CONNECT_WAIT);
		return cache;
	}

	/**
	 * The near cache, shared by the blocking and the reactive Redis cache. Off by default:
	 * it trades a bounded window after a lost invalidation message for hits without a
	 * round trip, and needs one more Redis connection per instance for its subscription.
	 */
	@Bean(destroyMethod = "close")
	@ConditionalOnBooleanProperty(TokenCacheProperties.CONFIG_PREFIX + ".redis.near-cache.enabled")
	NearCache tokenCacheNearCache(TokenCacheProperties properties,
			ObjectProvider<RedisConnectionFactory> connectionFactory) {
		TokenCacheProperties.Redis redis = properties.getRedis();
		NearCache nearCache = new NearCache(redis.getNearCache().getMaxSize(), redis.getNearCache().getTimeToLive());
		RedisConnectionFactory factory = connectionFactory.getIfAvailable();
		if (factory != null) {
			nearCache.subscribe(factory, redis.getKeyPrefix());
		}
		return nearCache;
	}

}
