package dev.dexpace.tokencache.test;

import dev.dexpace.tokencache.autoconfigure.ReactiveTokenCacheAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Application contexts for the reactive tests: a reactive web application with Spring
 * Boot's real reactive OAuth2 client and WebClient auto-configuration plus ours, and a
 * servlet-style application (blocking client registrations) that also uses WebClient.
 * Client registrations point at a {@link TestIdentityProvider}.
 */
public final class ReactiveTokenCacheContexts {

	private ReactiveTokenCacheContexts() {
	}

	/**
	 * A reactive web application context runner with a client_credentials registration
	 * {@code api} and a token-exchange registration {@code exchange}.
	 * @param idp the identity provider
	 * @return the runner
	 */
	public static ReactiveWebApplicationContextRunner reactiveRunner(TestIdentityProvider idp) {
		return new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
					WebClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class))
			.withPropertyValues(TokenCacheContexts.registrationProperties(idp));
	}

	/**
	 * A non-reactive context runner (blocking client registrations, as a servlet
	 * application has) with RestClient and WebClient.
	 * @param idp the identity provider
	 * @return the runner
	 */
	public static ApplicationContextRunner blockingRunnerWithWebClient(TestIdentityProvider idp) {
		return TokenCacheContexts.runner(idp)
			.withConfiguration(AutoConfigurations.of(WebClientAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class));
	}

	/**
	 * A WebClient from the context's auto-configured builder.
	 * @param context the context
	 * @return the WebClient
	 */
	public static WebClient webClient(ApplicationContext context) {
		return context.getBean(WebClient.Builder.class).build();
	}

	/**
	 * Call the identity provider's API through the {@code api} registration.
	 * @param client the WebClient
	 * @param idp the identity provider
	 * @return the response, on subscription
	 */
	public static Mono<ResponseEntity<Void>> callApi(WebClient client, TestIdentityProvider idp) {
		return client.get()
			.uri(idp.apiUri())
			.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
			.retrieve()
			.toBodilessEntity();
	}

}
