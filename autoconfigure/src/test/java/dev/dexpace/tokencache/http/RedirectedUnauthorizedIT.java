package dev.dexpace.tokencache.http;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.http.RecordingApi.Received;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The API answers 302 to another origin (another port on loopback), which answers 401
 * {@code invalid_token}. Spring's responses do not tell which URI answered, so the
 * interceptor and the filter cannot tell that 401 from one of the API: with redirects
 * followed it counts as a rejection of the token. These tests settle what each HTTP client
 * Spring Boot configures does, and that the README's advice,
 * {@code spring.http.clients.redirects=dont-follow}, keeps the token both valid and home.
 */
class RedirectedUnauthorizedIT {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RecordingApi api = new RecordingApi();

	private final RecordingApi otherOrigin = new RecordingApi();

	@AfterEach
	void stop() {
		this.api.close();
		this.otherOrigin.close();
		this.idp.close();
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "jdk", "reactor", "simple" })
	void withRedirectsNotFollowedARestClientCallerGetsTheRedirectAndTheTokenStays(String factory) {
		restClientRunner(factory).withPropertyValues("spring.http.clients.redirects=dont-follow").run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			ResponseEntity<Void> response = client.get()
				.uri(redirectToOtherOrigin())
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
				.retrieve()
				.toBodilessEntity();
			assertThat(response.getStatusCode().value()).isEqualTo(302);
			CachedToken cached = context.getBean(TokenCache.class).get(systemKey());
			assertTokenKeptAndStayedHome(cached);
		});
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "reactor", "jdk" })
	void withRedirectsNotFollowedAWebClientCallerGetsTheRedirectAndTheTokenStays(String connector) {
		webClientRunner(connector).withPropertyValues("spring.http.clients.redirects=dont-follow").run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			ResponseEntity<Void> response = client.get()
				.uri(redirectToOtherOrigin())
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT);
			assertThat(response.getStatusCode().value()).isEqualTo(302);
			CachedToken cached = context.getBean(ReactiveTokenCache.class).get(systemKey()).block(WAIT);
			assertTokenKeptAndStayedHome(cached);
		});
	}

	/**
	 * The limitation the README states: with Spring Boot's default redirect policy the
	 * other origin's 401 deletes a valid token and costs a token request and a retry,
	 * and the JDK client sends the token there too.
	 */
	@ParameterizedTest(name = "{0}")
	@CsvSource({ "jdk, true", "reactor, false", "simple, false" })
	void withRedirectsFollowedARestClientTakesTheOtherOriginsUnauthorizedForARejection(String factory,
			boolean tokenSentThere) {
		restClientRunner(factory).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			assertThatExceptionOfType(HttpClientErrorException.Unauthorized.class).isThrownBy(() -> client.get()
				.uri(redirectToOtherOrigin())
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
				.retrieve()
				.toBodilessEntity());
			assertRejectedByTheOtherOrigin(tokenSentThere);
		});
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "reactor, false", "jdk, true" })
	void withRedirectsFollowedAWebClientTakesTheOtherOriginsUnauthorizedForARejection(String connector,
			boolean tokenSentThere) {
		webClientRunner(connector).run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			assertThatExceptionOfType(WebClientResponseException.Unauthorized.class).isThrownBy(() -> client.get()
				.uri(redirectToOtherOrigin())
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT));
			assertRejectedByTheOtherOrigin(tokenSentThere);
		});
	}

	private void assertTokenKeptAndStayedHome(CachedToken cached) {
		assertThat(this.otherOrigin.received()).isEmpty();
		assertThat(this.api.received()).hasSize(1);
		assertThat(this.idp.tokenRequests()).isOne();
		assertThat(cached).isNotNull();
		assertThat(this.api.received().get(0).authorization()).isEqualTo("Bearer " + cached.tokenValue());
	}

	private void assertRejectedByTheOtherOrigin(boolean tokenSentThere) {
		// The first attempt and the one retry both follow the redirect.
		assertThat(this.api.received()).hasSize(2);
		assertThat(this.otherOrigin.received()).hasSize(2);
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
		for (Received request : this.otherOrigin.received()) {
			assertThat(request.authorization() != null).as("Authorization sent to the other origin")
				.isEqualTo(tokenSentThere);
		}
	}

	private URI redirectToOtherOrigin() {
		// A URI, not a template: the encoded location must reach the API as it is.
		return URI.create(this.api.redirectUri(this.otherOrigin.rejectUri()));
	}

	private ApplicationContextRunner restClientRunner(String factory) {
		return TokenCacheContexts.runner(this.idp)
			.withConfiguration(AutoConfigurations.of(HttpClientAutoConfiguration.class,
					ImperativeHttpClientAutoConfiguration.class))
			.withPropertyValues("spring.http.clients.imperative.factory=" + factory);
	}

	private ReactiveWebApplicationContextRunner webClientRunner(String connector) {
		return ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(
					AutoConfigurations.of(HttpClientAutoConfiguration.class, ReactiveHttpClientAutoConfiguration.class))
			.withPropertyValues("spring.http.clients.reactive.connector=" + connector);
	}

	private TokenKey systemKey() {
		return TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp), Set.of("api.read", "api.write"),
				null);
	}

}
