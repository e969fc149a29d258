package dev.dexpace.tokencache.dpop;

import java.time.Duration;
import java.util.Map;

import dev.dexpace.tokencache.autoconfigure.ReactiveTokenCacheAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.service.HttpServiceClientPropertiesAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.service.HttpServiceClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.boot.webclient.autoconfigure.service.ReactiveHttpServiceClientAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.registry.HttpServiceGroup;
import org.springframework.web.service.registry.ImportHttpServices;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DPoP through HTTP service clients on a RestClient group and on a WebClient group, with
 * a server that binds tokens to the proof's key and demands nonces (see
 * {@link NonceDemandingServer}): each call carries a DPoP token and its own proof.
 */
class DPoPHttpServiceClientIT {

	private static final int CALLS = 5;

	private NonceDemandingServer server;

	@BeforeEach
	void start() throws Exception {
		this.server = new NonceDemandingServer();
	}

	@AfterEach
	void stop() {
		this.server.close();
	}

	@Test
	void aRestClientServiceSendsBoundTokensWithAProofForEachCall() {
		runner().run((context) -> {
			BlockingApi api = context.getBean(BlockingApi.class);
			for (int i = 0; i < CALLS; i++) {
				assertThat(api.orders()).isEmpty();
			}
			assertOneExtraRoundTripEach();
		});
	}

	@Test
	void aWebClientServiceSendsBoundTokensWithAProofForEachCall() {
		runner().run((context) -> {
			ReactiveApi api = context.getBean(ReactiveApi.class);
			for (int i = 0; i < CALLS; i++) {
				assertThat(api.orders().block(Duration.ofSeconds(30))).isEmpty();
			}
			assertOneExtraRoundTripEach();
		});
	}

	private void assertOneExtraRoundTripEach() {
		assertThat(this.server.problems()).isEmpty();
		assertThat(this.server.tokenRequests()).isEqualTo(2);
		assertThat(this.server.apiRequests()).isEqualTo(CALLS + 1);
		assertThat(this.server.apiAccepted()).isEqualTo(CALLS);
	}

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
					HttpServiceClientPropertiesAutoConfiguration.class, ImperativeHttpClientAutoConfiguration.class,
					HttpServiceClientAutoConfiguration.class, ReactiveHttpClientAutoConfiguration.class,
					WebClientAutoConfiguration.class, ReactiveHttpServiceClientAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class))
			.withPropertyValues("spring.http.serviceclient.blocking.base-url=" + this.server.uri(""),
					"spring.http.serviceclient.reactive.base-url=" + this.server.uri(""),
					"spring.security.oauth2.client.registration.idp.client-id=client",
					"spring.security.oauth2.client.registration.idp.client-secret=secret",
					"spring.security.oauth2.client.registration.idp.authorization-grant-type=client_credentials",
					"spring.security.oauth2.client.registration.idp.provider=idp",
					"spring.security.oauth2.client.provider.idp.token-uri=" + this.server.uri("/token"),
					"dexpace.token-cache.registration.idp.dpop.enabled=true")
			.withUserConfiguration(HttpServices.class);
	}

	@HttpExchange
	@ClientRegistrationId("idp")
	interface BlockingApi {

		@GetExchange("/api/orders")
		Map<String, Object> orders();

	}

	@HttpExchange
	interface ReactiveApi {

		@GetExchange("/api/orders")
		@ClientRegistrationId("idp")
		Mono<Map<String, Object>> orders();

	}

	@Configuration(proxyBeanMethods = false)
	@ImportHttpServices(group = "blocking", types = BlockingApi.class)
	@ImportHttpServices(group = "reactive", types = ReactiveApi.class, clientType = HttpServiceGroup.ClientType.WEB_CLIENT)
	static class HttpServices {

	}

}
