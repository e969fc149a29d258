package dev.dexpace.tokencache.autoconfigure;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;

/**
 * Puts a closeable decorator in front of beans the user declared, so that
 * auto-configuration decorates them instead of replacing them. Each decorator is closed
 * with the bean it decorates (the container destroys the bean it created, not the
 * decorator a post-processor returned): a singleton's when the context closes, a scoped
 * bean's (request, session) when its scope ends.
 * <p>
 * Prototypes are left as they are, with a warning: the container never destroys them, so
 * their decorators (and the refresher threads each holds) could never be closed, and a
 * decorator per lookup would share no single-flight with the others.
 */
abstract class DecoratingPostProcessor implements DestructionAwareBeanPostProcessor, BeanFactoryAware {

	private static final Log logger = LogFactory.getLog(DecoratingPostProcessor.class);

	// The decorator of each user bean, by that bean: the one the container destroys.
	private final Map<Object, AutoCloseable> decorators = Collections.synchronizedMap(new IdentityHashMap<>());

	// Set by the container before any bean is post-processed.
	@SuppressWarnings("NullAway.Init")
	private BeanFactory beanFactory;

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	/**
	 * Return the bean factory.
	 * @return the bean factory
	 */
	protected BeanFactory getBeanFactory() {
		return this.beanFactory;
	}

	/**
	 * Return whether a bean is one to decorate.
	 * @param bean the bean
	 * @return whether to decorate it
	 */
	protected abstract boolean isDecorated(Object bean);

	/**
	 * Return the decorator of a bean {@link #isDecorated(Object) to decorate}.
	 * @param bean the bean
	 * @return the decorator
	 */
	protected abstract AutoCloseable decorate(Object bean);

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		if (!isDecorated(bean)) {
			return bean;
		}
		if (isPrototype(beanName)) {
			logger.warn("Bean '" + beanName + "' (" + bean.getClass().getName() + ") is a prototype, which the "
					+ "container never destroys: it is not decorated with the token cache; declare it as a "
					+ "singleton (or in a request or session scope) to cache its tokens");
			return bean;
		}
		AutoCloseable decorator = decorate(bean);
		// Destroyed with the bean, when the context closes or the bean's scope ends.
		this.decorators.put(bean, decorator);
		if (isScoped(beanName)) {
			// Decorated when its scope first asks, after the registrars handed listeners and
			// the observation registry to the singletons: hand them to this one too.
			this.beanFactory.getBeanProvider(TokenCacheListenerRegistrar.class)
				.ifAvailable((registrar) -> registrar.register(decorator));
			this.beanFactory.getBeanProvider(TokenRequestObservationRegistrar.class)
				.ifAvailable((registrar) -> registrar.register(decorator));
		}
		return decorator;
	}

	@Override
	public boolean requiresDestruction(Object bean) {
		return this.decorators.containsKey(bean);
	}

	@Override
	public void postProcessBeforeDestruction(Object bean, String beanName) throws BeansException {
		AutoCloseable decorator = this.decorators.remove(bean);
		if (decorator != null) {
			try {
				decorator.close();
			}
			catch (Exception ex) {
				throw new IllegalStateException("Could not close the decorator of bean '" + beanName + "'", ex);
			}
		}
	}

	private boolean isScoped(String beanName) {
		try {
			return this.beanFactory.containsBean(beanName) && !this.beanFactory.isSingleton(beanName);
		}
		catch (BeansException ex) {
			return false;
		}
	}

	private boolean isPrototype(String beanName) {
		try {
			return this.beanFactory.containsBean(beanName) && this.beanFactory.isPrototype(beanName);
		}
		catch (BeansException ex) {
			return false;
		}
	}

}
