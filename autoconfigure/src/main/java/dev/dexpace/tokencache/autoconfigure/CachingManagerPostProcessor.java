package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * Puts the token cache in front of an {@link OAuth2AuthorizedClientManager} the user
 * declared, so that auto-configuration decorates it instead of replacing it. When the
 * context closes, the decorator's background refresh threads stop with the user's manager
 * (the container destroys the bean it created, not the decorator).
 */
final class CachingManagerPostProcessor
		implements DestructionAwareBeanPostProcessor, BeanFactoryAware {

	// The decorator of each user manager, by the user's bean: the one the container destroys.
	private final Map<Object, CachingOAuth2AuthorizedClientManager> decorators = Collections.synchronizedMap(new IdentityHashMap<>());

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
			if (isSingleton(beanName)) {
				// Only singletons are destroyed by the container.
				this.decorators.put(bean, caching);
			}
			return caching;
		}
		return bean;
	}

	@Override
	public boolean requiresDestruction(Object bean) {
		return this.decorators.containsKey(bean);
	}

	@Override
	public void postProcessBeforeDestruction(Object bean, String beanName) throws BeansException {
		CachingOAuth2AuthorizedClientManager caching = this.decorators.remove(bean);
		if (caching != null) {
			caching.close();
		}
	}

	private boolean isSingleton(String beanName) {
		try {
			return this.beanFactory.containsBean(beanName) && this.beanFactory.isSingleton(beanName);
		}
		catch (BeansException ex) {
			return false;
		}
	}

}
