package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;
import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * Puts the token cache in front of an {@link OAuth2AuthorizedClientManager} the user
 * declared, so that auto-configuration decorates it instead of replacing it; the
 * decorator is closed with the user's manager when the context closes.
 */
final class CachingManagerPostProcessor extends DecoratingPostProcessor {

	@Override
	protected @Nullable AutoCloseable decorate(Object bean) {
		if (bean instanceof OAuth2AuthorizedClientManager manager
				&& !(bean instanceof CachingOAuth2AuthorizedClientManager)) {
			CachingOAuth2AuthorizedClientManager caching = new CachingOAuth2AuthorizedClientManager(manager,
					getBeanFactory().getBean(ClientRegistrationRepository.class),
					getBeanFactory().getBean(TokenCache.class), getBeanFactory().getBean(TokenKeyResolver.class),
					getBeanFactory().getBean(TokenLifetimeResolver.class), Clock.systemUTC());
			getBeanFactory().getBean(TokenCacheProperties.class).applyTo(caching, caching.getCache());
			return caching;
		}
		return null;
	}

}
