package dev.dexpace.tokencache.autoconfigure;


import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryReactiveTokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.redis.ReactiveRedisTokenCache;
import dev.dexpace.tokencache.redis.RedisTokenCache;
import dev.dexpace.tokencache.support.BlockingReactiveTokenCache;
import dev.dexpace.tokencache.support.NoOpReactiveTokenCache;
import dev.dexpace.tokencache.support.NoOpTokenCache;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;

/**
 * The {@link ReactiveTokenCache} configurations, imported in order: the reactive Redis
 * cache for {@code type=redis}, else the reactive face of whatever {@link TokenCache} the
 * application has. Both back off when the user declares a {@link ReactiveTokenCache}.
 */
final class ReactiveTokenCacheConfigurations {

	private ReactiveTokenCacheConfigurations() {
	}

	/**
	 * {@code type=redis}: the reactive Redis cache, on the same keys, values and settings
	 * as the blocking one. A connection factory that is not reactive (Jedis) leaves the
	 * blocking Redis cache to the fallback below, off the event loops.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(ReactiveRedisConnectionFactory.class)
	@ConditionalOnBean({ RedisTokenCache.class, ReactiveRedisConnectionFactory.class })
	@ConditionalOnMissingBean(ReactiveTokenCache.class)
	@Conditional(OnTokenCacheTypeCondition.Redis.class)
	static class ReactiveRedisTokenCacheConfiguration {

		@Bean
		ReactiveRedisTokenCache reactiveTokenCache(RedisTokenCache tokenCache, ReactiveRedisConnectionFactory factory) {
			ReactiveRedisTokenCache cache = ReactiveRedisTokenCache.builder(factory).settingsOf(tokenCache).build();
			// Connect now, on the start-up thread, never later on an event loop.
			cache.warmUp(RedisTokenCacheConfiguration.CONNECT_WAIT);
			return cache;
		}

	}

	/**
	 * Every other case: the reactive face of the blocking cache, one store for both.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(ReactiveTokenCache.class)
	static class ReactiveTokenCacheConfiguration {

		@Bean
		ReactiveTokenCache reactiveTokenCache(TokenCache tokenCache) {
			if (tokenCache instanceof InMemoryTokenCache memory) {
				return new InMemoryReactiveTokenCache(memory);
			}
			if (tokenCache instanceof NoOpTokenCache) {
				return new NoOpReactiveTokenCache();
			}
			// A cache we do not know may do blocking I/O: keep it off the event loops.
			return new BlockingReactiveTokenCache(tokenCache);
		}

	}

}
