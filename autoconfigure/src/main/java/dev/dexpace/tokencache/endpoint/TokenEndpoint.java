package dev.dexpace.tokencache.endpoint;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;

import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import org.jspecify.annotations.Nullable;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.NimbusJwtClientAuthenticationParametersConverter;
import org.springframework.util.Assert;
import org.springframework.util.MultiValueMap;

/**
 * How the token clients talk to a token endpoint, one value for
 * {@link TokenEndpointClients} (RestClient) and {@link ReactiveTokenEndpointClients}
 * (WebClient), so that both send the same requests and read every response alike: how a
 * token response becomes a token with its expiry, how long a token request may take,
 * which {@code subject_token_type} a token exchange sends, and how the client
 * authenticates beyond what Spring Security does by itself ({@code client_secret_basic},
 * {@code client_secret_post}, {@code none}), such as {@code private_key_jwt} with a
 * {@link NimbusJwtClientAuthenticationParametersConverter}.
 *
 * @since 0.1.0
 */
public final class TokenEndpoint {

	/**
	 * The {@code subject_token_type} of an access token (RFC 8693 section 3).
	 */
	public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

	private final ExpiryResolvingTokenResponseConverter responseConverter;

	private final Duration timeout;

	private final Function<String, String> subjectTokenTypes;

	private final @Nullable Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> clientAuthentication;

	/**
	 * Create a token endpoint that sends an access token type for every token exchange and
	 * leaves client authentication to Spring Security.
	 * @param responseConverter turns a token response into a token with its expiry
	 * @param timeout the longest a token request may take, from connecting to the last
	 * byte of the response
	 */
	public TokenEndpoint(ExpiryResolvingTokenResponseConverter responseConverter, Duration timeout) {
		this(responseConverter, timeout, (registrationId) -> ACCESS_TOKEN_TYPE, null);
	}

	private TokenEndpoint(ExpiryResolvingTokenResponseConverter responseConverter, Duration timeout,
			Function<String, String> subjectTokenTypes,
			@Nullable Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> clientAuthentication) {
		Assert.isTrue(!timeout.isNegative() && !timeout.isZero(), "timeout must be positive");
		this.responseConverter = responseConverter;
		this.timeout = timeout;
		this.subjectTokenTypes = subjectTokenTypes;
		this.clientAuthentication = clientAuthentication;
	}

	/**
	 * Return a token endpoint that sends the given {@code subject_token_type} in token
	 * exchanges.
	 * @param subjectTokenTypes the type by registration id
	 * @return the token endpoint
	 */
	public TokenEndpoint withSubjectTokenTypes(Function<String, String> subjectTokenTypes) {
		return new TokenEndpoint(this.responseConverter, this.timeout, subjectTokenTypes, this.clientAuthentication);
	}

	/**
	 * Return a token endpoint whose token requests also carry the parameters of the given
	 * converter, such as a {@link NimbusJwtClientAuthenticationParametersConverter} for
	 * {@code private_key_jwt} or {@code client_secret_jwt}. It is asked for every grant
	 * and answers nothing for registrations it does not apply to.
	 * @param clientAuthentication the client authentication parameters
	 * @return the token endpoint
	 */
	public TokenEndpoint withClientAuthentication(
			Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> clientAuthentication) {
		return new TokenEndpoint(this.responseConverter, this.timeout, this.subjectTokenTypes, clientAuthentication);
	}

	Duration timeout() {
		return this.timeout;
	}

	TokenEndpointResponses responses() {
		return new TokenEndpointResponses(this.responseConverter, this.timeout, Clock.systemUTC());
	}

	TokenExchangeParameters tokenExchangeParameters() {
		return new TokenExchangeParameters(this.subjectTokenTypes);
	}

	@Nullable Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> clientAuthentication() {
		return this.clientAuthentication;
	}

}
