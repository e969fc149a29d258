package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * Fails start-up with a message that names {@code dexpace.token-cache.type} when
 * {@code type=redis} is asked for but Spring Data Redis is not on the classpath, instead
 * of a missing {@link TokenCache} bean somewhere else.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingClass("org.springframework.data.redis.connection.RedisConnectionFactory")
@ConditionalOnMissingBean(TokenCache.class)
@Conditional(OnTokenCacheTypeCondition.Redis.class)
class RedisTokenCacheUnavailableConfiguration {

	@Bean
	TokenCache tokenCache() {
		throw TokenCacheProperties.invalid("type", "redis",
				"needs Spring Data Redis: add org.springframework.boot:spring-boot-starter-data-redis");
	}

}
