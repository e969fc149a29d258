package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.support.NoOpTokenCache;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
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
	@Conditional(OnTokenCacheTypeCondition.Memory.class)
	static class MemoryTokenCacheConfiguration {

		@Bean
		InMemoryTokenCache tokenCache(TokenCacheProperties properties) {
			return new InMemoryTokenCache(properties.getMaxSystemTokens(), properties.getMaxUserTokens(),
					properties.getExpiryBuffer());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(TokenCache.class)
	@Conditional(OnTokenCacheTypeCondition.None.class)
	static class NoOpTokenCacheConfiguration {

		@Bean
		NoOpTokenCache tokenCache() {
			return new NoOpTokenCache();
		}

	}

}
