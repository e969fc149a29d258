package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.metrics.RedisTokenCacheMeterBinder;
import dev.dexpace.tokencache.metrics.TokenCacheMeterBinder;
import dev.dexpace.tokencache.metrics.TokenCacheMetrics;
import dev.dexpace.tokencache.metrics.TokenEndpointBackoffMeterBinder;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.redis.RedisTokenCacheStatus;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Micrometer metrics of the token cache, when the application has a
 * {@link MeterRegistry}: lookups, invalidations, evictions and backend errors
 * ({@link TokenCacheMetrics}), entries of the in-memory cache, the circuit of the Redis
 * cache. The token request timer is recorded through the observation of each token
 * request (see {@link TokenCacheObservationAutoConfiguration}).
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = { TokenCacheAutoConfiguration.class, ReactiveTokenCacheAutoConfiguration.class }, afterName = {
		"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ MeterRegistry.class, TokenCache.class })
public final class TokenCacheMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	TokenCacheMetrics tokenCacheMetrics(MeterRegistry meterRegistry) {
		return new TokenCacheMetrics(meterRegistry);
	}

	@Bean
	@ConditionalOnBean(InMemoryTokenCache.class)
	TokenCacheMeterBinder tokenCacheMeterBinder(InMemoryTokenCache tokenCache) {
		return new TokenCacheMeterBinder(tokenCache);
	}

	@Bean
	@ConditionalOnBean(TokenEndpointBackoff.class)
	TokenEndpointBackoffMeterBinder tokenEndpointBackoffMeterBinder(TokenEndpointBackoff tokenEndpointBackoff) {
		return new TokenEndpointBackoffMeterBinder(tokenEndpointBackoff);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.data.redis.connection.RedisConnectionFactory")
	static class RedisMetricsConfiguration {

		@Bean
		@ConditionalOnBean(RedisTokenCacheStatus.class)
		RedisTokenCacheMeterBinder redisTokenCacheMeterBinder(ObjectProvider<RedisTokenCacheStatus> caches) {
			// Blocking and reactive cache: a WebFlux application serves its calls from the latter.
			return new RedisTokenCacheMeterBinder(RedisTokenCacheStatus.of(caches.orderedStream().toList()));
		}

	}

}
