package dev.dexpace.tokencache.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;

import org.jspecify.annotations.Nullable;

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

	// Beans built in a scope before all singletons existed: they get the listeners then.
	private final List<TokenCacheListenerAware> early = new ArrayList<>();

	private boolean started;

	private @Nullable TokenCacheListener listener;

	TokenCacheListenerRegistrar(ListableBeanFactory beanFactory, ObjectProvider<TokenCacheListener> listeners) {
		this.beanFactory = beanFactory;
		this.listeners = listeners;
	}

	@Override
	public synchronized void afterSingletonsInstantiated() {
		this.started = true;
		List<TokenCacheListener> all = this.listeners.orderedStream().toList();
		if (!all.isEmpty()) {
			TokenCacheListener listener = TokenCacheListener.of(all);
			this.listener = listener;
			this.beanFactory.getBeansOfType(TokenCacheListenerAware.class, false, false)
				.values()
				.forEach((aware) -> aware.setListener(listener));
			this.early.forEach((aware) -> aware.setListener(listener));
		}
		this.early.clear();
	}

	/**
	 * Hand the listeners to a bean that is not a singleton, such as the decorator of a
	 * request- or session-scoped manager, which the bean factory does not list: at once,
	 * or once all singletons exist.
	 * @param bean the bean; one that is not {@link TokenCacheListenerAware} is left alone
	 */
	synchronized void register(Object bean) {
		if (!(bean instanceof TokenCacheListenerAware aware)) {
			return;
		}
		if (!this.started) {
			this.early.add(aware);
		}
		else if (this.listener != null) {
			aware.setListener(this.listener);
		}
	}

}
