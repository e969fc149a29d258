package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.metrics.TokenCacheObservations;
import dev.dexpace.tokencache.metrics.TokenRequestObservationConvention;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Observes every token request on the application's {@link ObservationRegistry}: a span
 * {@code token fetch} under the calling request, and the timer
 * {@code dexpace.token.requests} through Spring Boot's meter handler.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = TokenCacheAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ ObservationRegistry.class, TokenCache.class })
public final class TokenCacheObservationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	TokenCacheObservations tokenCacheObservations(ObservationRegistry observationRegistry,
			ObjectProvider<TokenRequestObservationConvention> convention) {
		return new TokenCacheObservations(observationRegistry, convention.getIfUnique());
	}

}
