package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.metrics.TokenRequestObservationConvention;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;

/**
 * Hands the observation registry of token requests, and a convention the application
 * declared, to every caching manager once all singletons exist: the managers built here
 * and those that decorate the user's own, blocking and reactive alike. Done afterwards,
 * as for the listeners, so that neither registry is created early.
 */
final class TokenRequestObservationRegistrar implements SmartInitializingSingleton {

	private static final boolean REACTOR = ClassUtils.isPresent("reactor.core.publisher.Mono",
			TokenRequestObservationRegistrar.class.getClassLoader());

	private final ListableBeanFactory beanFactory;

	private final ObservationRegistry registry;

	private final @Nullable TokenRequestObservationConvention convention;

	TokenRequestObservationRegistrar(ListableBeanFactory beanFactory, ObservationRegistry registry,
			@Nullable TokenRequestObservationConvention convention) {
		this.beanFactory = beanFactory;
		this.registry = registry;
		this.convention = convention;
	}

	@Override
	public void afterSingletonsInstantiated() {
		this.beanFactory.getBeansOfType(CachingOAuth2AuthorizedClientManager.class, false, false)
			.values()
			.forEach(this::register);
		if (REACTOR) {
			this.beanFactory.getBeansOfType(Reactive.TYPE, false, false).values().forEach(this::register);
		}
	}

	/**
	 * Hand the registry and convention to a caching manager built after all singletons,
	 * such as the decorator of a request- or session-scoped manager.
	 * @param manager the manager; anything else is left alone
	 */
	void register(Object manager) {
		if (manager instanceof CachingOAuth2AuthorizedClientManager blocking) {
			blocking.setObservationRegistry(this.registry);
			if (this.convention != null) {
				blocking.setObservationConvention(this.convention);
			}
		}
		else if (REACTOR) {
			Reactive.register(manager, this.registry, this.convention);
		}
	}

	/**
	 * Loaded only with Reactor on the class path.
	 */
	private static final class Reactive {

		static final Class<?> TYPE = CachingReactiveOAuth2AuthorizedClientManager.class;

		static void register(Object manager, ObservationRegistry registry,
				@Nullable TokenRequestObservationConvention convention) {
			if (manager instanceof CachingReactiveOAuth2AuthorizedClientManager reactive) {
				reactive.setObservationRegistry(registry);
				if (convention != null) {
					reactive.setObservationConvention(convention);
				}
			}
		}

	}

}
