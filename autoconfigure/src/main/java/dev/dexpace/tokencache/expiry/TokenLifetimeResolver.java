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
 * <li>the {@code exp} claim of the {@code id_token} if the response has one and it lies
 * in the future,</li>
 * <li>the configured fallback TTL.</li>
 * </ol>
 * Numbers may come as JSON numbers or strings; a fraction of a second is rounded down.
 * A stated expiry is never extended: when the access token is a JWT whose {@code exp} is
 * earlier than {@code expires_at} or {@code expires_in}, the {@code exp} wins, because the
 * resource server rejects the token then. A stated expiry may lie in the past (a zero or
 * negative {@code expires_in}, say); the caller decides what to do with a token that has
 * no life left. No result is further away than {@link #MAX_LIFETIME}.
 * <p>
 * JWTs are decoded without verification, as a lifetime hint only; a malformed one falls
 * through to the next source. The cache subtracts its expiry buffer from the result.
 *
 * @since 0.1.0
 */
public final class TokenLifetimeResolver {

	/**
	 * The longest lifetime ever resolved: a token that claims to live longer (a huge
	 * {@code expires_in}, say) is taken to live this long, which also keeps every cache's
	 * arithmetic far from overflowing.
	 */
	public static final Duration MAX_LIFETIME = Duration.ofDays(365);

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
	 * @return when the token expires, possibly in the past, never later than
	 * {@link #MAX_LIFETIME} from now
	 */
	public Instant resolve(Map<String, ?> parameters) {
		return resolve(parameters, this.clock.instant());
	}

	Instant resolve(Map<String, ?> parameters, Instant now) {
		Instant stated = null;
		Long expiresAt = StatedTime.seconds(parameters.get(EXPIRES_AT));
		if (expiresAt != null) {
			stated = StatedTime.epochSecond(expiresAt);
		}
		else {
			Long expiresIn = StatedTime.seconds(parameters.get(EXPIRES_IN));
			if (expiresIn != null) {
				stated = plusSeconds(now, expiresIn);
			}
		}
		Instant exp = JwtExpiry.of(parameters.get(ACCESS_TOKEN));
		Instant resolved;
		if (stated != null) {
			resolved = earlier(stated, exp);
		}
		else if (exp != null) {
			resolved = exp;
		}
		else {
			Instant idTokenExp = JwtExpiry.of(parameters.get(ID_TOKEN));
			resolved = (idTokenExp != null && idTokenExp.isAfter(now)) ? idTokenExp : now.plus(this.fallbackTtl);
		}
		return capped(resolved, now);
	}

	/**
	 * Resolve the expiry of a token Spring Security has already parsed, for delegates
	 * whose token response clients were not configured with
	 * {@link ExpiryResolvingTokenResponseConverter}. The expiry of the token is trusted
	 * unless it is Spring Security's one-second placeholder for a missing
	 * {@code expires_in}; then the JWT {@code exp} claim, then the fallback TTL apply. A
	 * JWT {@code exp} earlier than the token's expiry wins.
	 * @param accessToken the access token
	 * @return when the token expires, never later than {@link #MAX_LIFETIME} from now
	 */
	public Instant resolve(OAuth2AccessToken accessToken) {
		Instant now = this.clock.instant();
		Instant expiresAt = accessToken.getExpiresAt();
		Instant issuedAt = accessToken.getIssuedAt();
		Instant exp = JwtExpiry.of(accessToken.getTokenValue());
		if (expiresAt != null
				&& (issuedAt == null || Duration.between(issuedAt, expiresAt).compareTo(UNKNOWN_LIFETIME) > 0)) {
			return capped(earlier(expiresAt, exp), now);
		}
		return capped((exp != null) ? exp : now.plus(this.fallbackTtl), now);
	}

	private static Instant earlier(Instant stated, @Nullable Instant exp) {
		return (exp != null && exp.isBefore(stated)) ? exp : stated;
	}

	private static Instant capped(Instant expiresAt, Instant now) {
		Instant latest = now.plus(MAX_LIFETIME);
		return expiresAt.isAfter(latest) ? latest : expiresAt;
	}

	private static Instant plusSeconds(Instant now, long seconds) {
		if (seconds > MAX_LIFETIME.toSeconds()) {
			return now.plus(MAX_LIFETIME);
		}
		// seconds is at least -StatedTime.LIMIT, which keeps the result above Instant.MIN
		return now.plusSeconds(seconds);
	}

}
