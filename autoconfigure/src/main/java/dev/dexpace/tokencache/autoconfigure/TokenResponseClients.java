package dev.dexpace.tokencache.autoconfigure;

import java.net.http.HttpClient;
import java.time.Duration;

import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.converter.FormHttpMessageConverter;
import org.springframework.security.oauth2.client.endpoint.RestClientClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.RestClientJwtBearerTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.RestClientTokenExchangeTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.core.http.converter.OAuth2AccessTokenResponseHttpMessageConverter;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * Builds Spring Security's token response clients so that the expiry is resolved from the
 * raw token response, before Spring Security reads a missing {@code expires_in} as one
 * second.
 */
final class TokenResponseClients {

	private final RestClient restClient;

	private final RegistrationSettings registrations;

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
		this.registrations = registrations;
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
		client.addParametersConverter(this::subjectTokenType);
		return client;
	}

	RestClientJwtBearerTokenResponseClient jwtBearer() {
		RestClientJwtBearerTokenResponseClient client = new RestClientJwtBearerTokenResponseClient();
		client.setRestClient(this.restClient);
		return client;
	}

	/**
	 * Spring Security sends a {@code Jwt} subject as {@code …:jwt}; identity providers
	 * expect {@code …:access_token} for an access token (RFC 8693 section 3).
	 */
	private MultiValueMap<String, String> subjectTokenType(TokenExchangeGrantRequest grantRequest) {
		TokenCacheProperties.Registration settings = this.registrations
			.get(grantRequest.getClientRegistration().getRegistrationId());
		String type = (settings != null) ? settings.getSubjectTokenType() : TokenCacheProperties.ACCESS_TOKEN_TYPE;
		MultiValueMap<String, String> parameters = new LinkedMultiValueMap<>();
		parameters.set(OAuth2ParameterNames.SUBJECT_TOKEN_TYPE, type);
		return parameters;
	}

}
