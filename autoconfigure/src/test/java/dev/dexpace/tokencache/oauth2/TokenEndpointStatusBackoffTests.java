package dev.dexpace.tokencache.oauth2;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;

import com.sun.net.httpserver.HttpServer;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.endpoint.TokenEndpointClients;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A 401 or 403 of the token endpoint is an error it will repeat (a backoff for the client,
 * not the healing backoff of the whole endpoint), also when it comes without an OAuth 2.0
 * error body, as from a gateway.
 */
class TokenEndpointStatusBackoffTests {

	@Test
	void aForbiddenTokenEndpointWithoutAnErrorBodyIsAnErrorThatRepeats() throws Exception {
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		server.createContext("/token", (exchange) -> {
			exchange.getRequestBody().readAllBytes();
			exchange.sendResponseHeaders(403, -1);
			exchange.close();
		});
		server.start();
		try {
			Clock clock = Clock.systemUTC();
			TokenEndpoint endpoint = new TokenEndpoint(
					new ExpiryResolvingTokenResponseConverter(new TokenLifetimeResolver(Duration.ofMinutes(5), clock),
							clock),
					Duration.ofSeconds(10), (registrationId) -> TokenEndpoint.ACCESS_TOKEN_TYPE, null);
			ClientRegistration registration = ClientRegistration.withRegistrationId("api")
				.clientId("app")
				.clientSecret("secret")
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.tokenUri("http://127.0.0.1:" + server.getAddress().getPort() + "/token")
				.build();
			OAuth2AuthorizationException failure = catchThrowableOfType(OAuth2AuthorizationException.class,
					() -> new TokenEndpointClients(endpoint).clientCredentials()
						.getTokenResponse(new OAuth2ClientCredentialsGrantRequest(registration)));
			assertThat(failure).isNotNull();
			assertThat(TokenRequestErrors.isPermanent(failure)).as("a 403 of the token endpoint repeats (issue 18)")
				.isTrue();
		}
		finally {
			server.stop(0);
		}
	}

}
