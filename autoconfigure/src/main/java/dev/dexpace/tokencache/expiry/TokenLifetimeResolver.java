package dev.dexpace.tokencache.expiry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.util.Assert;

/**
 * Works out when an access token really expires. The sources, first match wins:
 * <ol>
 * <li>{@code expires_at} of the token response (epoch seconds),</li>
 * <li>{@code expires_in} of the token response,</li>
 * <li>the {@code exp} claim of the access token if it is a JWT,</li>
 * <li>the {@code exp} claim of the {@code id_token} if the response has one,</li>
 * <li>the configured fallback TTL.</li>
 * </ol>
 * JWTs are decoded without verification, as a lifetime hint only; a malformed one falls
 * through to the next source. The cache subtracts its expiry buffer from the result.
 *
 * @since 0.1.0
 */
public final class TokenLifetimeResolver {

	static final String EXPIRES_AT = "expires_at";

	static final String EXPIRES_IN = "expires_in";

	static final String ACCESS_TOKEN = "access_token";

	static final String ID_TOKEN = "id_token";

	/**
	 * Spring Security turns a response without {@code expires_in} into a token that
	 * expires one second after it was issued; a lifetime this short is taken as "unknown".
	 */
	private static final Duration UNKNOWN_LIFETIME = Duration.ofSeconds(1);

	private final Duration fallbackTtl;

	private final Clock clock;

	/**
	 * Create a resolver.
	 * @param fallbackTtl the lifetime used when nothing else says, must be positive
	 * @param clock the clock that tells the current time
	 */
	public TokenLifetimeResolver(Duration fallbackTtl, Clock clock) {
		Assert.isTrue(fallbackTtl.compareTo(Duration.ZERO) > 0, "fallbackTtl must be positive");
		this.fallbackTtl = fallbackTtl;
		this.clock = clock;
	}

	/**
	 * Resolve the expiry from the raw parameters of a token response.
	 * @param parameters the token response parameters as received
	 * @return when the token expires
	 */
	public Instant resolve(Map<String, ?> parameters) {
		Instant now = this.clock.instant();
		Long expiresAt = positiveLong(parameters.get(EXPIRES_AT));
		if (expiresAt != null) {
			return Instant.ofEpochSecond(expiresAt);
		}
		Long expiresIn = positiveLong(parameters.get(EXPIRES_IN));
		if (expiresIn != null) {
			return now.plusSeconds(expiresIn);
		}
		Instant exp = JwtExpiry.of(parameters.get(ACCESS_TOKEN));
		if (exp == null) {
			exp = JwtExpiry.of(parameters.get(ID_TOKEN));
		}
		return (exp != null) ? exp : now.plus(this.fallbackTtl);
	}

	/**
	 * Resolve the expiry of a token Spring Security has already parsed, for delegates
	 * whose token response clients were not configured with
	 * {@link ExpiryResolvingTokenResponseConverter}. The expiry of the token is trusted
	 * unless it is Spring Security's one-second placeholder for a missing
	 * {@code expires_in}; then the JWT {@code exp} claim, then the fallback TTL apply.
	 * @param accessToken the access token
	 * @return when the token expires
	 */
	public Instant resolve(OAuth2AccessToken accessToken) {
		Instant expiresAt = accessToken.getExpiresAt();
		Instant issuedAt = accessToken.getIssuedAt();
		if (expiresAt != null
				&& (issuedAt == null || Duration.between(issuedAt, expiresAt).compareTo(UNKNOWN_LIFETIME) > 0)) {
			return expiresAt;
		}
		Instant exp = JwtExpiry.of(accessToken.getTokenValue());
		return (exp != null) ? exp : this.clock.instant().plus(this.fallbackTtl);
	}

	private static @Nullable Long positiveLong(@Nullable Object value) {
		long result;
		if (value instanceof Number number) {
			result = number.longValue();
		}
		else if (value instanceof String text) {
			try {
				result = Long.parseLong(text.trim());
			}
			catch (NumberFormatException ex) {
				return null;
			}
		}
		else {
			return null;
		}
		return (result > 0) ? result : null;
	}

}
