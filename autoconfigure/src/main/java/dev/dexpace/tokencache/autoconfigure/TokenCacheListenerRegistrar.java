package dev.dexpace.tokencache.autoconfigure;

import java.util.List;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Hands every {@link TokenCacheListener} bean, in order, to every
 * {@link TokenCacheListenerAware} bean (the caches and the caching manager) once all
 * singletons exist. Done afterwards rather than through constructors so that the caches
 * and the manager, including a manager that decorates the user's own, are built the
 * same way with or without metrics, and so that the listeners, which need the
 * {@code MeterRegistry}, are not created early.
 */
final class TokenCacheListenerRegistrar implements SmartInitializingSingleton {

	private final ListableBeanFactory beanFactory;

	private final ObjectProvider<TokenCacheListener> listeners;

	TokenCacheListenerRegistrar(ListableBeanFactory beanFactory, ObjectProvider<TokenCacheListener> listeners) {
		this.beanFactory = beanFactory;
		this.listeners = listeners;
	}

	@Override
	public void afterSingletonsInstantiated() {
		List<TokenCacheListener> all = this.listeners.orderedStream().toList();
		if (all.isEmpty()) {
			return;
		}
		TokenCacheListener listener = TokenCacheListener.of(all);
		this.beanFactory.getBeansOfType(TokenCacheListenerAware.class, false, false)
			.values()
			.forEach((aware) -> aware.setListener(listener));
	}

}
