package dev.dexpace.tokencache.autoconfigure;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;

/**
 * Puts a closeable decorator in front of beans the user declared, so that
 * auto-configuration decorates them instead of replacing them. When the context closes,
 * each decorator is closed with the bean it decorates: the container destroys the bean it
 * created, not the decorator a post-processor returned.
 */
abstract class DecoratingPostProcessor implements DestructionAwareBeanPostProcessor, BeanFactoryAware {

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
	 * Return the decorator of a bean, or {@code null} to leave the bean as it is.
	 * @param bean the bean
	 * @return the decorator, or {@code null}
	 */
	protected abstract @Nullable AutoCloseable decorate(Object bean);

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		AutoCloseable decorator = decorate(bean);
		if (decorator == null) {
			return bean;
		}
		if (isSingleton(beanName)) {
			// Only singletons are destroyed by the container.
			this.decorators.put(bean, decorator);
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

	private boolean isSingleton(String beanName) {
		try {
			return this.beanFactory.containsBean(beanName) && this.beanFactory.isSingleton(beanName);
		}
		catch (BeansException ex) {
			return false;
		}
	}

}
