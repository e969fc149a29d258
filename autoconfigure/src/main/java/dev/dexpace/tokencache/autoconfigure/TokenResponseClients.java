package dev.dexpace.tokencache.autoconfigure;

import java.net.http.HttpClient;
import java.time.Duration;

import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.converter.FormHttpMessageConverter;
import org.springframework.security.oauth2.client.endpoint.RestClientClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.RestClientJwtBearerTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.RestClientTokenExchangeTokenResponseClient;
import org.springframework.security.oauth2.core.http.converter.OAuth2AccessTokenResponseHttpMessageConverter;
import org.springframework.web.client.RestClient;

/**
 * Builds Spring Security's token response clients so that the expiry is resolved from the
 * raw token response, before Spring Security reads a missing {@code expires_in} as one
 * second, and token exchange sends the parameters of {@link TokenExchangeParameters}.
 */
final class TokenResponseClients {

	private final RestClient restClient;

	private final TokenExchangeParameters tokenExchangeParameters;

	TokenResponseClients(ExpiryResolvingTokenResponseConverter responseConverter,
			RegistrationSettings registrations, Duration timeout) {
		OAuth2AccessTokenResponseHttpMessageConverter messageConverter = new OAuth2AccessTokenResponseHttpMessageConverter();
		messageConverter.setAccessTokenResponseConverter(responseConverter);
		this.restClient = RedactedTokenRequests.of(RestClient.builder()
			.configureMessageConverters((converters) -> {
				converters.addCustomConverter(new FormHttpMessageConverter());
				converters.addCustomConverter(TokenEndpointResponses.quiet(messageConverter, timeout));
			})
			.requestFactory(requestFactory(timeout))
			.requestInterceptor(TokenEndpointResponses.guard(timeout))
			.defaultStatusHandler(TokenEndpointResponses.errorHandler())
			.build());
		this.tokenExchangeParameters = new TokenExchangeParameters(registrations);
	}

	/**
	 * A token endpoint that accepts the connection and never answers must not hold the
	 * calling thread, nor every caller waiting on its single-flight request, forever. The
	 * read timeout of the JDK client covers the whole response, body included.
	 */
	private static JdkClientHttpRequestFactory requestFactory(Duration timeout) {
		JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
				HttpClient.newBuilder().connectTimeout(timeout).build());
		factory.setReadTimeout(timeout);
		return factory;
	}

	RestClientClientCredentialsTokenResponseClient clientCredentials() {
		RestClientClientCredentialsTokenResponseClient client = new RestClientClientCredentialsTokenResponseClient();
		client.setRestClient(this.restClient);
		return client;
	}

	RestClientTokenExchangeTokenResponseClient tokenExchange() {
		RestClientTokenExchangeTokenResponseClient client = new RestClientTokenExchangeTokenResponseClient();
		client.setRestClient(this.restClient);
		client.setParametersConverter(this.tokenExchangeParameters);
		return client;
	}

	RestClientJwtBearerTokenResponseClient jwtBearer() {
		RestClientJwtBearerTokenResponseClient client = new RestClientJwtBearerTokenResponseClient();
		client.setRestClient(this.restClient);
		return client;
	}

}
