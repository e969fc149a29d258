package dev.dexpace.tokencache.sample;

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
 * The starter serves every HTTP service group of an application. The stock group is named
 * in {@code dexpace.token-cache.http-service.excluded-groups} ({@code application.yml}),
 * so the starter leaves it as it would be without the token cache: Spring Security's
 * configurer authorizes it, and on the token cache's group the starter takes Spring
 * Security's interceptor off.
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
	OAuth2RestClientHttpServiceGroupConfigurer stockHttpServiceGroupConfigurer(
			StockAuthorizedClients stockHttpServiceClients) {
		// As Spring Security's reference documents it, for every group.
		return OAuth2RestClientHttpServiceGroupConfigurer.from(stockHttpServiceClients.manager());
	}

}
