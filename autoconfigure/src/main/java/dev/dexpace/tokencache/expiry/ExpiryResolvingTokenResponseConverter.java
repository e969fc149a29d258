package dev.dexpace.tokencache.expiry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.endpoint.DefaultMapOAuth2AccessTokenResponseConverter;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;

/**
 * Converts raw token response parameters into an {@link OAuth2AccessTokenResponse} whose
 * access token carries the expiry {@link TokenLifetimeResolver} resolved from the raw
 * response. Without it Spring Security reads a response that has no {@code expires_in}
 * as a token that expires in one second, and every call fetches a new token.
 * <p>
 * A response that holds no usable token is rejected with an
 * {@link OAuth2AuthorizationException} ({@code invalid_token_response}) whose message says
 * what is wrong and never quotes the token: a missing, empty or non-string
 * {@code access_token}, one with whitespace, control or non-ASCII characters (it could not
 * be sent in a header), an unknown {@code token_type}, or a token that by the response's own account
 * expires in less than {@link #MIN_LIFETIME} ({@code expires_in} zero or negative,
 * {@code expires_at} or the JWT {@code exp} in the past).
 *
 * @since 0.1.0
 */
public final class ExpiryResolvingTokenResponseConverter implements Converter<Map<String, Object>, OAuth2AccessTokenResponse> {

	/**
	 * The error code of every rejection, as Spring Security's token response clients use
	 * it.
	 */
	public static final String INVALID_TOKEN_RESPONSE = "invalid_token_response";

	/**
	 * The shortest lifetime a token may have. Spring Security counts lifetimes in whole
	 * seconds and reads one second as "unknown", so a shorter one could not be handed on
	 * without making the token look longer-lived than it is.
	 */
	public static final Duration MIN_LIFETIME = Duration.ofSeconds(2);

	private final Converter<Map<String, Object>, OAuth2AccessTokenResponse> delegate = new DefaultMapOAuth2AccessTokenResponseConverter();

	private final TokenLifetimeResolver lifetimeResolver;

	private final Clock clock;

	/**
	 * Create a converter.
	 * @param lifetimeResolver resolves the expiry from the raw parameters
	 * @param clock the clock that tells the current time
	 */
	public ExpiryResolvingTokenResponseConverter(TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this.lifetimeResolver = lifetimeResolver;
		this.clock = clock;
	}

	@Override
	public OAuth2AccessTokenResponse convert(Map<String, Object> source) {
		checkAccessToken(source.get(TokenLifetimeResolver.ACCESS_TOKEN));
		checkTokenType(source.get("token_type"));
		Instant now = this.clock.instant();
		Instant expiresAt = this.lifetimeResolver.resolve(source, now);
		Duration lifetime = Duration.between(now, expiresAt);
		if (lifetime.compareTo(MIN_LIFETIME) < 0) {
			throw invalid(lifetime.isNegative() || lifetime.isZero()
					? "The token response says the access token has already expired (at " + expiresAt + ")"
					: "The token response says the access token expires in less than " + MIN_LIFETIME.toSeconds()
							+ " seconds (at " + expiresAt + "), too soon to use it");
		}
		// Whole seconds, rounded down: Spring Security counts from its own, slightly later,
		// issued-at, and the token must never look longer-lived than it is.
		Map<String, Object> parameters = new HashMap<>(source);
		parameters.put(TokenLifetimeResolver.EXPIRES_IN, lifetime.getSeconds());
		OAuth2AccessTokenResponse response = this.delegate.convert(parameters);
		if (response == null) {
			throw invalid("The token response could not be converted");
		}
		return response;
	}

	private static void checkAccessToken(@Nullable Object accessToken) {
		if (accessToken == null) {
			throw invalid("The token response has no access_token");
		}
		if (!(accessToken instanceof String value)) {
			throw invalid("The access_token of the token response is not a string");
		}
		if (value.isBlank()) {
			throw invalid("The access_token of the token response is empty");
		}
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c <= ' ' || c >= 0x7F) {
				throw invalid("The access_token of the token response holds whitespace, control or non-ASCII "
						+ "characters, which an Authorization header cannot carry");
			}
		}
	}

	private static void checkTokenType(@Nullable Object tokenType) {
		if (!(tokenType instanceof String value)) {
			throw invalid("The token response has no token_type");
		}
		if (!OAuth2AccessToken.TokenType.BEARER.getValue().equalsIgnoreCase(value)
				&& !OAuth2AccessToken.TokenType.DPOP.getValue().equalsIgnoreCase(value)) {
			throw invalid("The token_type of the token response is not Bearer or DPoP");
		}
	}

	private static OAuth2AuthorizationException invalid(String description) {
		return new OAuth2AuthorizationException(new OAuth2Error(INVALID_TOKEN_RESPONSE, description, null));
	}

}
