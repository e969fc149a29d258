package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizedClientManager;
import org.springframework.util.ClassUtils;

/**
 * Puts the token cache in front of an {@link OAuth2AuthorizedClientManager} the user
 * declared, so that auto-configuration decorates it instead of replacing it; the
 * decorator is closed with the user's manager.
 * <p>
 * Spring Security's {@link DefaultOAuth2AuthorizedClientManager} works only inside a
 * servlet request, and background refreshes run outside one: they obtain their tokens
 * through the starter's own token clients (see {@link KeyedGrantManagers}), for the
 * grants the cache keys, which need no request. Calls on request threads still go to the
 * user's manager.
 */
final class CachingManagerPostProcessor extends DecoratingPostProcessor {

	// Spring Security's request-bound manager needs the servlet API to be loaded.
	private static final boolean SERVLET = ClassUtils.isPresent("jakarta.servlet.http.HttpServletRequest",
			CachingManagerPostProcessor.class.getClassLoader());

	@Override
	protected boolean isDecorated(Object bean) {
		return bean instanceof OAuth2AuthorizedClientManager && !(bean instanceof CachingOAuth2AuthorizedClientManager);
	}

	@Override
	protected AutoCloseable decorate(Object bean) {
		BeanFactory beanFactory = getBeanFactory();
		ClientRegistrationRepository registrations = beanFactory.getBean(ClientRegistrationRepository.class);
		TokenLifetimeResolver lifetimeResolver = beanFactory.getBean(TokenLifetimeResolver.class);
		TokenCacheProperties properties = beanFactory.getBean(TokenCacheProperties.class);
		CachingOAuth2AuthorizedClientManager caching = new CachingOAuth2AuthorizedClientManager(
				(OAuth2AuthorizedClientManager) bean, registrations, beanFactory.getBean(TokenCache.class),
				beanFactory.getBean(TokenKeyResolver.class), lifetimeResolver, Clock.systemUTC());
		if (SERVLET && bean instanceof DefaultOAuth2AuthorizedClientManager) {
			caching.setRefreshDelegate(KeyedGrantManagers.blocking(beanFactory, registrations, properties,
					lifetimeResolver, beanFactory.getBean(DPoPRegistrations.class)));
		}
		properties.applyTo(caching, caching.getCache(),
				beanFactory.getBeanProvider(TokenEndpointBackoff.class).getIfAvailable());
		return caching;
	}

}
