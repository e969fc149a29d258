package dev.dexpace.tokencache.expiry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.core.endpoint.DefaultMapOAuth2AccessTokenResponseConverter;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;

/**
 * Converts raw token response parameters into an {@link OAuth2AccessTokenResponse} whose
 * access token carries the expiry {@link TokenLifetimeResolver} resolved from the raw
 * response. Without it Spring Security reads a response that has no {@code expires_in}
 * as a token that expires in one second, and every call fetches a new token.
 *
 * @since 0.1.0
 */
public final class ExpiryResolvingTokenResponseConverter implements Converter<Map<String, Object>, OAuth2AccessTokenResponse> {

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
		Instant expiresAt = this.lifetimeResolver.resolve(source);
		// At least two seconds: one second is Spring Security's "unknown" placeholder, which
		// TokenLifetimeResolver would replace with the fallback TTL.
		long expiresIn = Math.max(2, Duration.between(this.clock.instant(), expiresAt).getSeconds());
		Map<String, Object> parameters = new HashMap<>(source);
		parameters.put(TokenLifetimeResolver.EXPIRES_IN, expiresIn);
		OAuth2AccessTokenResponse response = this.delegate.convert(parameters);
		if (response == null) {
			throw new IllegalStateException("Token response could not be converted");
		}
		return response;
	}

}
