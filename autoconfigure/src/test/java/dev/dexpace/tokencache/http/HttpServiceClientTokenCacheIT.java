package dev.dexpace.tokencache.http;

import java.util.Map;

import dev.dexpace.tokencache.autoconfigure.ReactiveTokenCacheAutoConfiguration;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.service.HttpServiceClientPropertiesAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.service.HttpServiceClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.boot.webclient.autoconfigure.service.ReactiveHttpServiceClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.web.client.support.OAuth2RestClientHttpServiceGroupConfigurer;
import org.springframework.security.oauth2.client.web.reactive.function.client.support.OAuth2WebClientHttpServiceGroupConfigurer;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.registry.HttpServiceGroup;
import org.springframework.web.service.registry.ImportHttpServices;

/**
 * HTTP service clients ({@code @HttpExchange} interfaces registered with
 * {@code @ImportHttpServices}) annotated with {@code @ClientRegistrationId}, on
 * {@code RestClient} and {@code WebClient} groups, with the starter alone and beside
 * Spring Security's own group configurers: a real token endpoint and API, Boot's HTTP
 * service client auto-configuration, and ours.
 */
class HttpServiceClientTokenCacheIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ClientScenarios.Lookups lookups = new ClientScenarios.Lookups();

	private final ApplicationContextRunner contextRunner = httpServiceClientRunner(this.idp)
		.withPropertyValues("spring.http.serviceclient.blocking.base-url=" + this.idp.baseUrl(),
				"spring.http.serviceclient.reactive.base-url=" + this.idp.baseUrl())
		.withBean(ClientScenarios.Lookups.class, () -> this.lookups)
		.withUserConfiguration(HttpServices.class);

	/**
	 * A runner with Boot's HTTP service client auto-configuration for {@code RestClient}
	 * and {@code WebClient} groups, and ours, blocking and reactive.
	 * @param idp the identity provider
	 * @return the runner
	 */
	static ApplicationContextRunner httpServiceClientRunner(TestIdentityProvider idp) {
		return TokenCacheContexts.runner(idp)
			.withConfiguration(AutoConfigurations.of(HttpServiceClientPropertiesAutoConfiguration.class,
					ImperativeHttpClientAutoConfiguration.class, HttpServiceClientAutoConfiguration.class,
					ReactiveHttpClientAutoConfiguration.class, WebClientAutoConfiguration.class,
					ReactiveHttpServiceClientAutoConfiguration.class, ReactiveTokenCacheAutoConfiguration.class));
	}

	@AfterEach
	void stopIdentityProvider() {
		this.idp.close();
	}

	@Test
	void aRestClientServiceAnnotatedOnItsTypeMakesOneTokenRequestForOneHundredConcurrentCalls() {
		this.contextRunner.run((context) -> {
			BlockingApi api = context.getBean(BlockingApi.class);
			ClientScenarios.concurrentCalls("HTTP service client (RestClient group)", this.idp, this.lookups,
					api::call);
		});
	}

	@Test
	void aRestClientServiceDeletesARevokedTokenAndRetriesOnce() {
		this.contextRunner.run((context) -> {
			BlockingApi api = context.getBean(BlockingApi.class);
			ClientScenarios.revokedToken("HTTP service client (RestClient group)", this.idp, api::call);
		});
	}

	@Test
	void aWebClientServiceAnnotatedOnItsMethodMakesOneTokenRequestForOneHundredConcurrentCalls() {
		this.contextRunner.run((context) -> {
			ReactiveApi api = context.getBean(ReactiveApi.class);
			ClientScenarios.concurrentCalls("HTTP service client (WebClient group)", this.idp, this.lookups,
					() -> api.call().block());
		});
	}

	@Test
	void aWebClientServiceDeletesARevokedTokenAndRetriesOnce() {
		this.contextRunner.run((context) -> {
			ReactiveApi api = context.getBean(ReactiveApi.class);
			ClientScenarios.revokedToken("HTTP service client (WebClient group)", this.idp, () -> api.call().block());
		});
	}

	@Test
	void besideSpringSecuritysRestClientConfigurerACallStillLooksItsTokenUpOnce() {
		this.contextRunner.withUserConfiguration(SpringSecurityRestClientConfigurer.class).run((context) -> {
			BlockingApi api = context.getBean(BlockingApi.class);
			ClientScenarios.concurrentCalls("HTTP service client (RestClient group) + Spring's configurer", this.idp,
					this.lookups, api::call);
		});
	}

	@Test
	void besideSpringSecuritysRestClientConfigurerARevokedTokenIsDeletedAndTheCallRetried() {
		this.contextRunner.withUserConfiguration(SpringSecurityRestClientConfigurer.class).run((context) -> {
			BlockingApi api = context.getBean(BlockingApi.class);
			ClientScenarios.revokedToken("HTTP service client (RestClient group) + Spring's configurer", this.idp,
					api::call);
		});
	}

	@Test
	void besideSpringSecuritysWebClientConfigurerACallStillLooksItsTokenUpOnce() {
		this.contextRunner.withUserConfiguration(SpringSecurityWebClientConfigurer.class).run((context) -> {
			ReactiveApi api = context.getBean(ReactiveApi.class);
			ClientScenarios.concurrentCalls("HTTP service client (WebClient group) + Spring's configurer", this.idp,
					this.lookups, () -> api.call().block());
		});
	}

	@Test
	void besideSpringSecuritysWebClientConfigurerARevokedTokenIsDeletedAndTheCallRetried() {
		this.contextRunner.withUserConfiguration(SpringSecurityWebClientConfigurer.class).run((context) -> {
			ReactiveApi api = context.getBean(ReactiveApi.class);
			ClientScenarios.revokedToken("HTTP service client (WebClient group) + Spring's configurer", this.idp,
					() -> api.call().block());
		});
	}

	@HttpExchange("/api")
	@ClientRegistrationId("api")
	interface BlockingApi {

		@GetExchange
		Map<String, Object> call();

	}

	@HttpExchange("/api")
	interface ReactiveApi {

		@GetExchange
		@ClientRegistrationId("api")
		Mono<Map<String, Object>> call();

	}

	@Configuration(proxyBeanMethods = false)
	@ImportHttpServices(group = "blocking", types = BlockingApi.class)
	@ImportHttpServices(group = "reactive", types = ReactiveApi.class, clientType = HttpServiceGroup.ClientType.WEB_CLIENT)
	static class HttpServices {

	}

	@Configuration(proxyBeanMethods = false)
	static class SpringSecurityRestClientConfigurer {

		@Bean
		OAuth2RestClientHttpServiceGroupConfigurer securityConfigurer(OAuth2AuthorizedClientManager manager) {
			return OAuth2RestClientHttpServiceGroupConfigurer.from(manager);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SpringSecurityWebClientConfigurer {

		@Bean
		OAuth2WebClientHttpServiceGroupConfigurer securityConfigurer(ReactiveOAuth2AuthorizedClientManager manager) {
			return OAuth2WebClientHttpServiceGroupConfigurer.from(manager);
		}

	}

}
