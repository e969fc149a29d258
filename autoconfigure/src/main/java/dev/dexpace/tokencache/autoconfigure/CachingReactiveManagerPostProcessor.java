package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;

/**
 * Puts the reactive token cache in front of a {@link ReactiveOAuth2AuthorizedClientManager}
 * the user declared, so that auto-configuration decorates it instead of replacing it.
 */
final class CachingReactiveManagerPostProcessor implements BeanPostProcessor, BeanFactoryAware {

	// Set by the container before any bean is post-processed.
	@SuppressWarnings("NullAway.Init")
	private BeanFactory beanFactory;

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		if (bean instanceof ReactiveOAuth2AuthorizedClientManager manager
				&& !(bean instanceof CachingReactiveOAuth2AuthorizedClientManager)) {
			ReactiveTokenCache cache = this.beanFactory.getBean(ReactiveTokenCache.class);
			CachingReactiveOAuth2AuthorizedClientManager caching = new CachingReactiveOAuth2AuthorizedClientManager(
					manager, ReactiveClientRegistrations.of(this.beanFactory), cache,
					this.beanFactory.getBean(TokenKeyResolver.class),
					this.beanFactory.getBean(TokenLifetimeResolver.class), Clock.systemUTC());
			this.beanFactory.getBean(TokenCacheProperties.class).applyTo(caching, cache);
			return caching;
		}
		return bean;
	}

}
