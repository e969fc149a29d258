package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.support.NoOpTokenCache;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One configuration per {@link TokenCacheType}, each active only for its type, as Spring
 * Boot's cache configurations are. Every one backs off when the user declares a
 * {@link TokenCache}.
 */
final class TokenCacheConfigurations {

	private TokenCacheConfigurations() {
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(TokenCache.class)
	@ConditionalOnProperty(name = TokenCacheProperties.CONFIG_PREFIX + ".type", havingValue = "memory",
			matchIfMissing = true)
	static class MemoryTokenCacheConfiguration {

		@Bean
		InMemoryTokenCache tokenCache(TokenCacheProperties properties) {
			return new InMemoryTokenCache(properties.getMaxSystemTokens(), properties.getMaxUserTokens(),
					properties.getExpiryBuffer());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(TokenCache.class)
	@ConditionalOnProperty(name = TokenCacheProperties.CONFIG_PREFIX + ".type", havingValue = "none")
	static class NoOpTokenCacheConfiguration {

		@Bean
		NoOpTokenCache tokenCache() {
			return new NoOpTokenCache();
		}

	}

}
