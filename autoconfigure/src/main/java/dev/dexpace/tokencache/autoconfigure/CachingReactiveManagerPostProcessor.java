package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.DefaultReactiveOAuth2AuthorizedClientManager;

/**
 * Puts the reactive token cache in front of a {@link ReactiveOAuth2AuthorizedClientManager}
 * the user declared, so that auto-configuration decorates it instead of replacing it; the
 * decorator is closed with the user's manager.
 * <p>
 * Spring Security's {@link DefaultReactiveOAuth2AuthorizedClientManager} works only
 * inside a web exchange, and background refreshes run outside one: they obtain their
 * tokens through the starter's own token clients, as in {@link CachingManagerPostProcessor}.
 */
final class CachingReactiveManagerPostProcessor extends DecoratingPostProcessor {

	@Override
	protected boolean isDecorated(Object bean) {
		return bean instanceof ReactiveOAuth2AuthorizedClientManager
				&& !(bean instanceof CachingReactiveOAuth2AuthorizedClientManager);
	}

	@Override
	protected AutoCloseable decorate(Object bean) {
		ListableBeanFactory beanFactory = (ListableBeanFactory) getBeanFactory();
		ReactiveTokenCache cache = beanFactory.getBean(ReactiveTokenCache.class);
		ReactiveClientRegistrationRepository registrations = ReactiveClientRegistrations.of(beanFactory);
		TokenLifetimeResolver lifetimeResolver = beanFactory.getBean(TokenLifetimeResolver.class);
		TokenCacheProperties properties = beanFactory.getBean(TokenCacheProperties.class);
		CachingReactiveOAuth2AuthorizedClientManager caching = new CachingReactiveOAuth2AuthorizedClientManager(
				(ReactiveOAuth2AuthorizedClientManager) bean, registrations, cache,
				beanFactory.getBean(TokenKeyResolver.class), lifetimeResolver, Clock.systemUTC());
		if (bean instanceof DefaultReactiveOAuth2AuthorizedClientManager) {
			caching.setRefreshDelegate(
					KeyedGrantManagers.reactive(beanFactory, registrations, properties, lifetimeResolver,
						beanFactory.getBean(DPoPRegistrations.class)));
		}
		properties.applyTo(caching, cache, beanFactory.getBeanProvider(TokenEndpointBackoff.class).getIfAvailable());
		return caching;
	}

}
