package dev.dexpace.tokencache.endpoint;

import java.util.function.Function;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.client.endpoint.AbstractRestClientOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.AbstractWebClientReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/**
 * The token-exchange form parameters that differ from Spring Security's, decided once for
 * the RestClient and the WebClient token clients: {@code subject_token_type} is the one
 * configured for the registration (in the starter
 * {@code dexpace.token-cache.registration.<id>.subject-token-type}, by default
 * {@code …:access_token}), where Spring Security sends a {@code Jwt} subject as
 * {@code …:jwt}, which identity providers reject for an access token (RFC 8693 section
 * 3).
 * <p>
 * Register it with {@code setParametersConverter}, never {@code addParametersConverter}:
 * both {@link AbstractRestClientOAuth2AccessTokenResponseClient} and
 * {@link AbstractWebClientReactiveOAuth2AccessTokenResponseClient} start from Spring
 * Security's default parameters and then <em>set</em> the ones this converter returns,
 * replacing a parameter of the same name, whereas {@code addParametersConverter}
 * <em>appends</em> them and the request carries {@code subject_token_type} twice, which
 * identity providers answer with {@code 400 invalid_request} (RFC 6749 section 3.2:
 * request parameters must not be included more than once).
 */
final class TokenExchangeParameters implements Converter<TokenExchangeGrantRequest, MultiValueMap<String, String>> {

	private final Function<String, String> subjectTokenTypes;

	/**
	 * Create the parameters.
	 * @param subjectTokenTypes the {@code subject_token_type} to send, by registration id
	 */
	TokenExchangeParameters(Function<String, String> subjectTokenTypes) {
		this.subjectTokenTypes = subjectTokenTypes;
	}

	/**
	 * Return the parameters that replace Spring Security's of the same name.
	 * @param grantRequest the token-exchange grant request
	 * @return the replacing parameters, one value each
	 */
	@Override
	public MultiValueMap<String, String> convert(TokenExchangeGrantRequest grantRequest) {
		MultiValueMap<String, String> parameters = new LinkedMultiValueMap<>();
		parameters.set(OAuth2ParameterNames.SUBJECT_TOKEN_TYPE,
				this.subjectTokenTypes.apply(grantRequest.getClientRegistration().getRegistrationId()));
		return parameters;
	}

}
