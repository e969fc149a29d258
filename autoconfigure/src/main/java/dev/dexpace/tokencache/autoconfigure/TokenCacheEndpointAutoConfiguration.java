package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code tokencache} actuator endpoint. It exists only where Actuator's own rules
 * make it available ({@code management.endpoints.web.exposure.include},
 * {@code management.endpoint.tokencache.access}); it is not exposed over HTTP by default.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = TokenCacheAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint")
@ConditionalOnBean(TokenCache.class)
public final class TokenCacheEndpointAutoConfiguration {

	// On the method, not the class: its condition is loaded only once Actuator is known to be there.
	@Bean
	@ConditionalOnAvailableEndpoint
	@ConditionalOnMissingBean
	TokenCacheEndpoint tokenCacheEndpoint(TokenCache tokenCache, ObjectProvider<TokenCacheListener> listeners) {
		return new TokenCacheEndpoint(tokenCache, TokenCacheListener.of(listeners.orderedStream().toList()),
				Clock.systemUTC());
	}

}
