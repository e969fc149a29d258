package dev.dexpace.tokencache.dpop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.dexpace.tokencache.autoconfigure.ReactiveTokenCacheAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * DPoP nonces against an identity provider and a resource server that both demand one
 * (see {@link NonceDemandingServer}): the first token request and the first call are
 * each sent once more with the nonce, every later one carries it at once; a nonce
 * challenge deletes no token. And the token type: a bearer token where DPoP was asked for
 * fails the call unless the registration allows it.
 */
class DPoPNonceIT {

	private static final int CALLS = 5;

	private static final Duration WAIT = Duration.ofSeconds(30);

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
	void restClientCallsSucceedWithOneExtraRoundTripToEachServerAndNeverMore() {
		restClient().run((context) -> {
			RestClient client = context.getBean(RestClient.Builder.class).build();
			List<Integer> statuses = new ArrayList<>();
			for (int i = 0; i < CALLS; i++) {
				statuses.add(client.post()
					.uri(this.server.uri("/api/orders?page=" + i))
					.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("idp"))
					.body("{\"order\":" + i + "}")
					.retrieve()
					.toBodilessEntity()
					.getStatusCode()
					.value());
			}
			assertThat(statuses).containsOnly(200);
			assertOneExtraRoundTripEach();
		});
	}

	@Test
	void webClientCallsSucceedWithOneExtraRoundTripToEachServerAndNeverMore() {
		webClient().run((context) -> {
			WebClient client = context.getBean(WebClient.Builder.class).build();
			List<Integer> statuses = new ArrayList<>();
			for (int i = 0; i < CALLS; i++) {
				statuses.add(client.post()
					.uri(this.server.uri("/api/orders?page=" + i))
					.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("idp"))
					.bodyValue("{\"order\":" + i + "}")
					.retrieve()
					.toBodilessEntity()
					.map((entity) -> entity.getStatusCode().value())
					.block(WAIT));
			}
			assertThat(statuses).containsOnly(200);
			assertOneExtraRoundTripEach();
		});
	}

	@Test
	void restClientReplacesARevokedTokenWithoutAskingEitherServerForItsNonceAgain() {
		restClient().run((context) -> {
			RestClient client = context.getBean(RestClient.Builder.class).build();
			replacesARevokedTokenOnce(() -> get(client));
		});
	}

	@Test
	void webClientReplacesARevokedTokenWithoutAskingEitherServerForItsNonceAgain() {
		webClient().run((context) -> {
			WebClient client = context.getBean(WebClient.Builder.class).build();
			replacesARevokedTokenOnce(() -> get(client));
		});
	}

	@Test
	void restClientAnswersANonceThatChangedWhileItReplacedARevokedToken() {
		restClient().run((context) -> {
			RestClient client = context.getBean(RestClient.Builder.class).build();
			answersANewNonceAfterReplacingARevokedToken(() -> get(client));
		});
	}

	@Test
	void webClientAnswersANonceThatChangedWhileItReplacedARevokedToken() {
		webClient().run((context) -> {
			WebClient client = context.getBean(WebClient.Builder.class).build();
			answersANewNonceAfterReplacingARevokedToken(() -> get(client));
		});
	}

	@Test
	void aBearerTokenWhereDPoPWasAskedForFailsTheCall() {
		this.server.issue("Bearer");
		restClient().run((context) -> {
			RestClient client = context.getBean(RestClient.Builder.class).build();
			assertThatExceptionOfType(ClientAuthorizationException.class).isThrownBy(() -> client.get()
				.uri(this.server.uri("/api/orders"))
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("idp"))
				.retrieve()
				.toBodilessEntity()).withMessageContaining("DPoP").withMessageContaining("allow-bearer");
			assertThat(this.server.apiRequests()).isZero();
		});
		webClient().run((context) -> {
			WebClient client = context.getBean(WebClient.Builder.class).build();
			assertThatExceptionOfType(ClientAuthorizationException.class).isThrownBy(() -> client.get()
				.uri(this.server.uri("/api/orders"))
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("idp"))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT)).withMessageContaining("allow-bearer");
			assertThat(this.server.apiRequests()).isZero();
		});
	}

	@Test
	void aBearerTokenIsSentAsBearerWhenTheRegistrationAllowsIt() {
		this.server.issue("Bearer");
		restClient().withPropertyValues("dexpace.token-cache.registration.idp.dpop.allow-bearer=true")
			.run((context) -> {
				assertThat(get(context.getBean(RestClient.Builder.class).build())).isEqualTo(200);
				assertThat(this.server.apiAccepted()).isEqualTo(1);
			});
	}

	private void assertOneExtraRoundTripEach() {
		assertThat(this.server.problems()).isEmpty();
		assertThat(this.server.tokenRequests()).as("token requests: one without the nonce, one with it")
			.isEqualTo(2);
		assertThat(this.server.apiRequests()).as("API requests: one extra for the nonce").isEqualTo(CALLS + 1);
		assertThat(this.server.apiAccepted()).isEqualTo(CALLS);
	}

	/**
	 * The identity provider and the API share an origin here but not their nonces: each
	 * server's nonce must stay the one the next proof to it carries, so replacing a
	 * revoked token costs one token request and one retry, no nonce round trip.
	 */
	private void replacesARevokedTokenOnce(Supplier<Integer> call) {
		assertThat(call.get()).isEqualTo(200);
		this.server.revokeAll();
		assertThat(call.get()).isEqualTo(200);
		assertThat(this.server.problems()).isEmpty();
		assertThat(this.server.tokenRequests()).as("token requests: two for the first token, one for the new one")
			.isEqualTo(3);
		assertThat(this.server.apiRequests()).as("API requests: the nonce, the revoked token, its retry")
			.isEqualTo(4);
		assertThat(this.server.apiAccepted()).isEqualTo(2);
	}

	/**
	 * The resource server rejects the token and, by the time the new token arrives, wants
	 * a new nonce: the retry with the new token is answered with that nonce once, so the
	 * call succeeds with one token request and two retries, never more.
	 */
	private void answersANewNonceAfterReplacingARevokedToken(Supplier<Integer> call) {
		assertThat(call.get()).isEqualTo(200);
		this.server.revokeAll();
		this.server.rotateApiNonce();
		assertThat(call.get()).isEqualTo(200);
		assertThat(this.server.problems()).isEmpty();
		assertThat(this.server.tokenRequests()).as("token requests: two for the first token, one for the new one")
			.isEqualTo(3);
		assertThat(this.server.apiRequests())
			.as("API requests: first call and its nonce; the revoked token, its retry, the new nonce")
			.isEqualTo(5);
		assertThat(this.server.apiAccepted()).isEqualTo(2);
	}

	private int get(RestClient client) {
		return this.server.getOrders(client);
	}

	private int get(WebClient client) {
		return client.get()
			.uri(this.server.uri("/api/orders"))
			.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("idp"))
			.retrieve()
			.toBodilessEntity()
			.map((entity) -> entity.getStatusCode().value())
			.block(WAIT);
	}

	private ApplicationContextRunner restClient() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.withPropertyValues(properties());
	}

	private ReactiveWebApplicationContextRunner webClient() {
		return new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
					WebClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class))
			.withPropertyValues(properties());
	}

	private String[] properties() {
		return new String[] { "spring.security.oauth2.client.registration.idp.client-id=client",
				"spring.security.oauth2.client.registration.idp.client-secret=secret",
				"spring.security.oauth2.client.registration.idp.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.idp.provider=idp",
				"spring.security.oauth2.client.provider.idp.token-uri=" + this.server.uri("/token"),
				"dexpace.token-cache.registration.idp.dpop.enabled=true" };
	}

}
