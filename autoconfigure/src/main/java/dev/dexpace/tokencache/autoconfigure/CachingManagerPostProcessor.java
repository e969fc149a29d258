package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * Puts the token cache in front of an {@link OAuth2AuthorizedClientManager} the user
 * declared, so that auto-configuration decorates it instead of replacing it.
 */
final class CachingManagerPostProcessor implements BeanPostProcessor, BeanFactoryAware {

	// Set by the container before any bean is post-processed.
	@SuppressWarnings("NullAway.Init")
	private BeanFactory beanFactory;

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		if (bean instanceof OAuth2AuthorizedClientManager manager
				&& !(bean instanceof CachingOAuth2AuthorizedClientManager)) {
			CachingOAuth2AuthorizedClientManager caching = new CachingOAuth2AuthorizedClientManager(manager,
					this.beanFactory.getBean(ClientRegistrationRepository.class),
					this.beanFactory.getBean(TokenCache.class), this.beanFactory.getBean(TokenKeyResolver.class),
					this.beanFactory.getBean(TokenLifetimeResolver.class), Clock.systemUTC());
			this.beanFactory.getBean(TokenCacheProperties.class).applyTo(caching, caching.getCache());
			return caching;
		}
		return bean;
	}

}
