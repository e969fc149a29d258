package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.metrics.TokenRequestObservationConvention;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Decides the {@link ObservationRegistry} every caching manager, blocking and reactive,
 * observes its token requests on: the application's, for a span {@code token fetch}
 * under the calling request and the timer {@code dexpace.token.requests} through Spring
 * Boot's meter handler; without one but with a {@link MeterRegistry}, a registry of our
 * own whose only handler records that timer. A {@link TokenRequestObservationConvention}
 * bean renames or re-tags them.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = { TokenCacheAutoConfiguration.class, ReactiveTokenCacheAutoConfiguration.class },
		afterName = { "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean(TokenCache.class)
public final class TokenCacheObservationAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(ObservationRegistry.class)
	static class ApplicationObservationConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TokenRequestObservationRegistrar tokenRequestObservationRegistrar(ListableBeanFactory beanFactory,
				ObservationRegistry observationRegistry, ObjectProvider<TokenRequestObservationConvention> convention) {
			return new TokenRequestObservationRegistrar(beanFactory, observationRegistry, convention.getIfUnique());
		}

	}

	/**
	 * Without an application {@link ObservationRegistry}, token requests are still timed:
	 * through a registry of our own whose only handler records meters.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	@ConditionalOnMissingBean(ObservationRegistry.class)
	static class MeterObservationConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TokenRequestObservationRegistrar tokenRequestObservationRegistrar(ListableBeanFactory beanFactory,
				MeterRegistry meterRegistry, ObjectProvider<TokenRequestObservationConvention> convention) {
			ObservationRegistry registry = ObservationRegistry.create();
			registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meterRegistry));
			return new TokenRequestObservationRegistrar(beanFactory, registry, convention.getIfUnique());
		}

	}

}
