package dev.dexpace.tokencache.expiry;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Map;

import com.nimbusds.jose.util.JSONObjectUtils;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.web.reactive.function.BodyExtractor;

/**
 * Reads a token response for Spring Security's WebClient-based token response clients
 * ({@code AbstractWebClientReactiveOAuth2AccessTokenResponseClient#setBodyExtractor}) and
 * resolves the token's expiry from the raw parameters with an
 * {@link ExpiryResolvingTokenResponseConverter}, before Spring Security would read a
 * missing {@code expires_in} as one second. An error response becomes an
 * {@link OAuth2AuthorizationException} carrying the identity provider's error, as with
 * Spring Security's own extractor.
 *
 * @since 0.1.0
 */
public final class ExpiryResolvingTokenResponseBodyExtractor
		implements BodyExtractor<Mono<OAuth2AccessTokenResponse>, ReactiveHttpInputMessage> {

	private static final String INVALID_TOKEN_RESPONSE = "invalid_token_response";

	private static final int MAX_RESPONSE_BYTES = 256 * 1024;

	private final ExpiryResolvingTokenResponseConverter converter;

	/**
	 * Create an extractor.
	 * @param converter turns the raw parameters into a token response with the resolved
	 * expiry
	 */
	public ExpiryResolvingTokenResponseBodyExtractor(ExpiryResolvingTokenResponseConverter converter) {
		this.converter = converter;
	}

	/**
	 * Read the body as bytes and parse it here rather than through the application's JSON
	 * codecs: those log what they decode at TRACE, and a token response holds a token.
	 */
	@Override
	public Mono<OAuth2AccessTokenResponse> extract(ReactiveHttpInputMessage inputMessage, Context context) {
		return DataBufferUtils.join(inputMessage.getBody(), MAX_RESPONSE_BYTES)
			.map(ExpiryResolvingTokenResponseBodyExtractor::parse)
			// The parser's message may quote the body, and the body may hold a token: keep it out.
			.onErrorMap((ex) -> !(ex instanceof OAuth2AuthorizationException),
					(ex) -> new OAuth2AuthorizationException(
							invalid("An error occurred parsing the Access Token response: " + ex.getClass().getName())))
			.switchIfEmpty(Mono.error(() -> new OAuth2AuthorizationException(
					invalid("Empty OAuth 2.0 Access Token Response"))))
			.map(this::convert);
	}

	private static Map<String, Object> parse(DataBuffer buffer) {
		try {
			return JSONObjectUtils.parse(buffer.toString(StandardCharsets.UTF_8));
		}
		catch (ParseException ex) {
			throw new OAuth2AuthorizationException(invalid("The Access Token response is not a JSON object"));
		}
		finally {
			DataBufferUtils.release(buffer);
		}
	}

	private OAuth2AccessTokenResponse convert(Map<String, Object> parameters) {
		Object error = parameters.get(OAuth2ParameterNames.ERROR);
		if (error != null) {
			throw new OAuth2AuthorizationException(new OAuth2Error(String.valueOf(error),
					string(parameters.get(OAuth2ParameterNames.ERROR_DESCRIPTION)),
					string(parameters.get(OAuth2ParameterNames.ERROR_URI))));
		}
		if (!(parameters.get(OAuth2ParameterNames.ACCESS_TOKEN) instanceof String)
				|| !(parameters.get(OAuth2ParameterNames.TOKEN_TYPE) instanceof String)) {
			throw new OAuth2AuthorizationException(
					invalid("The Access Token response has no access_token or no token_type"));
		}
		try {
			return this.converter.convert(parameters);
		}
		catch (RuntimeException ex) {
			throw new OAuth2AuthorizationException(
					invalid("An error occurred reading the Access Token response: " + ex.getClass().getName()));
		}
	}

	private static OAuth2Error invalid(String description) {
		return new OAuth2Error(INVALID_TOKEN_RESPONSE, description, null);
	}

	private static @Nullable String string(@Nullable Object value) {
		return (value != null) ? value.toString() : null;
	}

}
