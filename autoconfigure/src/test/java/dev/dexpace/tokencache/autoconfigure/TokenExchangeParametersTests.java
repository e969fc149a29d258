package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BiFunction;

import dev.dexpace.tokencache.endpoint.ReactiveTokenEndpointClients;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.endpoint.TokenEndpointClients;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2Token;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.security.oauth2.jwt.Jwt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The form of a token-exchange request, sent by the RestClient and the WebClient token
 * clients alike to a token endpoint that rejects a repeated parameter, as real identity
 * providers do: every parameter once, and {@code subject_token_type} the configured one.
 */
class TokenExchangeParametersTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

	private static final String ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void close() {
		this.idp.close();
	}

	/**
	 * The two token clients, each sending one grant request with the given registration
	 * settings.
	 */
	enum TokenClient {

		REST_CLIENT((registrations, request) -> new TokenEndpointClients(endpoint(registrations))
			.tokenExchange()
			.getTokenResponse(request)),

		WEB_CLIENT((registrations, request) -> new ReactiveTokenEndpointClients(endpoint(registrations))
			.tokenExchange()
			.getTokenResponse(request)
			.block(WAIT));

		private final BiFunction<Map<String, TokenCacheProperties.Registration>, TokenExchangeGrantRequest, OAuth2AccessTokenResponse> exchange;

		TokenClient(
				BiFunction<Map<String, TokenCacheProperties.Registration>, TokenExchangeGrantRequest, OAuth2AccessTokenResponse> exchange) {
			this.exchange = exchange;
		}

		OAuth2AccessTokenResponse exchange(Map<String, TokenCacheProperties.Registration> registrations,
				TokenExchangeGrantRequest request) {
			return this.exchange.apply(registrations, request);
		}

		private static TokenEndpoint endpoint(Map<String, TokenCacheProperties.Registration> registrations) {
			Clock clock = Clock.systemUTC();
			RegistrationSettings settings = RegistrationSettings.of(registrations, (java.util.Collection<String>) null);
			return new TokenEndpoint(new ExpiryResolvingTokenResponseConverter(
					new TokenLifetimeResolver(Duration.ofMinutes(5), clock), clock), WAIT, settings::subjectTokenType, null);
		}

	}

	@ParameterizedTest
	@EnumSource(TokenClient.class)
	void aJwtSubjectIsSentOnceAsAnAccessToken(TokenClient client) {
		OAuth2AccessTokenResponse response = client.exchange(Map.of(),
				request(ClientAuthenticationMethod.CLIENT_SECRET_BASIC, jwt("alice")));
		assertThat(this.idp.issuedTokens()).contains(response.getAccessToken().getTokenValue());
		assertThat(this.idp.tokenRequestParameters()).singleElement()
			.satisfies((parameters) -> assertThat(parameters)
				.containsEntry("grant_type", AuthorizationGrantType.TOKEN_EXCHANGE.getValue())
				.containsEntry("subject_token", "subject-token-of-alice")
				.containsEntry("subject_token_type", ACCESS_TOKEN_TYPE)
				.containsEntry("requested_token_type", ACCESS_TOKEN_TYPE)
				.containsEntry("scope", "api.read"));
	}

	@ParameterizedTest
	@EnumSource(TokenClient.class)
	void theSubjectTokenTypeConfiguredForTheRegistrationReplacesSpringSecuritys(TokenClient client) {
		TokenCacheProperties.Registration settings = new TokenCacheProperties.Registration();
		settings.setSubjectTokenType(ID_TOKEN_TYPE);
		client.exchange(Map.of("exchange", settings), request(ClientAuthenticationMethod.CLIENT_SECRET_BASIC, jwt("bob")));
		assertThat(this.idp.tokenRequestParameters()).singleElement()
			.satisfies((parameters) -> assertThat(parameters).containsEntry("subject_token_type", ID_TOKEN_TYPE));
	}

	@ParameterizedTest
	@EnumSource(TokenClient.class)
	void anOpaqueSubjectWithClientSecretPostIsSentOnceAsAnAccessToken(TokenClient client) {
		OAuth2AccessToken opaque = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "subject-token-of-carol",
				Instant.now(), Instant.now().plusSeconds(600));
		client.exchange(Map.of(), request(ClientAuthenticationMethod.CLIENT_SECRET_POST, opaque));
		assertThat(this.idp.tokenRequestParameters()).singleElement()
			.satisfies((parameters) -> assertThat(parameters).containsEntry("subject_token_type", ACCESS_TOKEN_TYPE)
				.containsEntry("client_id", "app"));
	}

	private TokenExchangeGrantRequest request(ClientAuthenticationMethod method, OAuth2Token subject) {
		ClientRegistration registration = ClientRegistration.withRegistrationId("exchange")
			.clientId("app")
			.clientSecret("app-secret")
			.clientAuthenticationMethod(method)
			.authorizationGrantType(AuthorizationGrantType.TOKEN_EXCHANGE)
			.scope("api.read")
			.tokenUri(this.idp.tokenUri())
			.build();
		return new TokenExchangeGrantRequest(registration, subject, null);
	}

	private static Jwt jwt(String user) {
		return Jwt.withTokenValue("subject-token-of-" + user)
			.header("alg", "none")
			.subject(user)
			.issuedAt(Instant.now())
			.expiresAt(Instant.now().plusSeconds(600))
			.build();
	}

}
