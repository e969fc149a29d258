package dev.dexpace.tokencache.endpoint;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;

import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import org.jspecify.annotations.Nullable;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.NimbusJwtClientAuthenticationParametersConverter;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.util.Assert;
import org.springframework.util.LinkedMultiValueMap;
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
	 * Create a token endpoint.
	 * @param responseConverter turns a token response into a token with its expiry
	 * @param timeout the longest a token request may take, from connecting to the last
	 * byte of the response
	 * @param subjectTokenTypes the {@code subject_token_type} of a token exchange, by
	 * registration id
	 * @param clientAuthentication parameters every token request also carries, such as a
	 * {@link NimbusJwtClientAuthenticationParametersConverter} for {@code private_key_jwt};
	 * asked for every grant, it answers nothing for registrations it does not apply to
	 */
	public TokenEndpoint(ExpiryResolvingTokenResponseConverter responseConverter, Duration timeout,
			Function<String, String> subjectTokenTypes,
			@Nullable Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> clientAuthentication) {
		Assert.isTrue(!timeout.isNegative() && !timeout.isZero(), "timeout must be positive");
		this.responseConverter = responseConverter;
		this.timeout = timeout;
		this.subjectTokenTypes = subjectTokenTypes;
		this.clientAuthentication = clientAuthentication;
	}

	Duration timeout() {
		return this.timeout;
	}

	TokenEndpointResponses responses() {
		return new TokenEndpointResponses(this.responseConverter, this.timeout, Clock.systemUTC());
	}

	/**
	 * The token-exchange parameters that replace Spring Security's: {@code subject_token_type}
	 * the configured one, where Spring Security sends a {@code Jwt} subject as
	 * {@code …:jwt}, which identity providers reject for an access token. Register with
	 * {@code setParametersConverter}: it <em>replaces</em> Spring Security's parameter of the
	 * same name, where {@code addParametersConverter} appends a second
	 * {@code subject_token_type}, which identity providers answer with
	 * {@code 400 invalid_request} (RFC 6749 section 3.2).
	 */
	MultiValueMap<String, String> tokenExchangeParameters(TokenExchangeGrantRequest grantRequest) {
		MultiValueMap<String, String> parameters = new LinkedMultiValueMap<>();
		parameters.set(OAuth2ParameterNames.SUBJECT_TOKEN_TYPE,
				this.subjectTokenTypes.apply(grantRequest.getClientRegistration().getRegistrationId()));
		return parameters;
	}

	/**
	 * Add the client authentication parameters, if any, to a token client.
	 * @param addParametersConverter the client's {@code addParametersConverter}
	 */
	<T extends AbstractOAuth2AuthorizationGrantRequest> void authenticate(
			Consumer<Converter<T, MultiValueMap<String, String>>> addParametersConverter) {
		Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> authentication = this.clientAuthentication;
		if (authentication != null) {
			addParametersConverter.accept(authentication::convert);
		}
	}

}
