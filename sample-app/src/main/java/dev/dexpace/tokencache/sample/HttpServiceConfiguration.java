package dev.dexpace.tokencache.sample;

import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.http.TokenCacheRestClientHttpServiceGroupConfigurer;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.security.oauth2.client.web.client.support.OAuth2RestClientHttpServiceGroupConfigurer;
import org.springframework.web.client.support.RestClientHttpServiceGroupConfigurer;
import org.springframework.web.service.registry.ImportHttpServices;

/**
 * The API as an HTTP service client, in two {@code RestClient} groups: one served by the
 * token cache, which needs nothing but the starter, and one wired the way Spring Security
 * documents it, with {@link OAuth2RestClientHttpServiceGroupConfigurer}.
 * <p>
 * The starter serves every {@code RestClient} group of an application: Spring Boot
 * applies the starter's {@code RestClientCustomizer} to each group's client, and the
 * starter's {@link TokenCacheRestClientHttpServiceGroupConfigurer} takes Spring Security's
 * interceptor off. An application has no reason to keep a group away from the cache;
 * this comparison does, so it narrows the starter's configurer to the token cache's group
 * and takes the starter's interceptor off the stock group (see
 * {@link #keepStockGroupStock()}).
 */
@Configuration(proxyBeanMethods = false)
@ImportHttpServices(group = HttpServiceConfiguration.TOKEN_CACHE_GROUP, types = GreetingService.class)
@ImportHttpServices(group = HttpServiceConfiguration.STOCK_GROUP, types = GreetingService.class)
class HttpServiceConfiguration {

	static final String TOKEN_CACHE_GROUP = "greetings";

	static final String STOCK_GROUP = "stock-greetings";

	@Bean
	RestClientHttpServiceGroupConfigurer localServerHttpServiceGroupConfigurer(Environment environment) {
		// The same kind of HTTP client as the RestClient part, in both groups.
		return (groups) -> groups.forEachClient((group, builder) -> builder
			.uriBuilderFactory(new LocalServerUriBuilderFactory(environment))
			.requestFactory(new SimpleClientHttpRequestFactory()));
	}

	/**
	 * The stock group's manager, shared by the calls of every run; the comparison drops
	 * its tokens before each run.
	 */
	@Bean
	StockAuthorizedClients stockHttpServiceClients(LocalClientRegistrationRepository registrations) {
		return new StockAuthorizedClients(registrations);
	}

	@Bean
	RestClientHttpServiceGroupConfigurer stockHttpServiceGroupConfigurer(StockAuthorizedClients stockHttpServiceClients) {
		// As Spring Security's reference documents it, on the stock group only.
		OAuth2RestClientHttpServiceGroupConfigurer security = OAuth2RestClientHttpServiceGroupConfigurer
			.from(stockHttpServiceClients.manager());
		return (groups) -> security.configureGroups(SelectedGroups.named(groups, STOCK_GROUP));
	}

	/**
	 * Keep the token cache off the stock group: the starter's group configurer serves the
	 * other groups only, and the interceptor Spring Boot's customizer gave the stock
	 * group's client is taken off again. The starter's configurer runs after Spring
	 * Boot's (it has the lowest precedence), so nothing adds the interceptor back.
	 */
	@Bean
	static BeanPostProcessor keepStockGroupStock() {
		return new BeanPostProcessor() {

			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) {
				if (!(bean instanceof TokenCacheRestClientHttpServiceGroupConfigurer tokenCache)) {
					return bean;
				}
				return (RestClientHttpServiceGroupConfigurer) (groups) -> {
					tokenCache.configureGroups(SelectedGroups.allBut(groups, STOCK_GROUP));
					SelectedGroups.named(groups, STOCK_GROUP)
						.forEachClient((group, builder) -> builder.requestInterceptors((interceptors) -> interceptors
							.removeIf(TokenCacheClientHttpRequestInterceptor.class::isInstance)));
				};
			}

		};
	}

}
