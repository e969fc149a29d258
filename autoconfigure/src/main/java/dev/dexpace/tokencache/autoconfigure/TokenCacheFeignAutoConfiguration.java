package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.http.TokenCacheFeignCapability;
import feign.Feign;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.openfeign.FeignOAuth2Properties;
import org.springframework.cloud.openfeign.security.OAuth2AccessTokenInterceptor;
import org.springframework.context.annotation.Bean;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;

/**
 * Auto-configuration for Spring Cloud OpenFeign clients that get OAuth2 tokens
 * ({@code spring.cloud.openfeign.oauth2.enabled=true}): a {@link TokenCacheFeignCapability}
 * that every Feign client picks up, so that a 401 deletes the rejected token and the call
 * is sent once more with a new one.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = TokenCacheAutoConfiguration.class,
		afterName = "org.springframework.cloud.openfeign.FeignAutoConfiguration")
@ConditionalOnClass({ Feign.class, OAuth2AccessTokenInterceptor.class, OAuth2AuthorizedClientManager.class })
@ConditionalOnBooleanProperty(name = TokenCacheProperties.CONFIG_PREFIX + ".enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty("spring.cloud.openfeign.oauth2.enabled")
@ConditionalOnBean({ OAuth2AuthorizedClientManager.class, TokenCacheProperties.class })
public final class TokenCacheFeignAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	TokenCacheFeignCapability tokenCacheFeignCapability(OAuth2AuthorizedClientManager authorizedClientManager,
			TokenCacheProperties properties, ObjectProvider<FeignOAuth2Properties> feignProperties,
			ObjectProvider<DPoPRegistrations> dpop) {
		FeignOAuth2Properties feign = feignProperties.getIfAvailable();
		return new TokenCacheFeignCapability(authorizedClientManager, properties.isRetryOnUnauthorized(),
				(feign != null) ? feign.getClientRegistrationId() : null, dpop.getIfAvailable(DPoPRegistrations::none));
	}

}
