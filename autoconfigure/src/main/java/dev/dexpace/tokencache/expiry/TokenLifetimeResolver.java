package dev.dexpace.tokencache.expiry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.util.Assert;

/**
 * Works out when an access token really expires.
 * <ol>
 * <li>What the token response states: {@code expires_at} (epoch seconds),
 * {@code expires_in}, and the {@code exp} claim of the access token if it is a JWT. When
 * it states more than one, the <strong>earliest</strong> wins: the resource server
 * rejects the token at the first of them, so a later {@code expires_at} never keeps a
 * token alive past its {@code expires_in}.</li>
 * <li>If the response states none: the {@code exp} claim of the {@code id_token} if it
 * lies in the future,</li>
 * <li>then the configured fallback TTL.</li>
 * </ol>
 * Numbers may come as JSON numbers or strings; a fraction of a second is rounded down.
 * An {@code expires_at} of {@value #MILLISECONDS_FROM} or more can only be epoch
 * milliseconds (as seconds it lies past the year 5000): it is read as milliseconds, and
 * ignored if even so it lies further away than {@link #MAX_LIFETIME}, so that it never
 * turns into a far future. A stated expiry may lie in the past (a zero or negative
 * {@code expires_in}, say); the caller decides what to do with a token that has no life
 * left. No result is further away than {@link #MAX_LIFETIME}.
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

	/**
	 * The smallest {@code expires_at} read as epoch milliseconds: as seconds it would be
	 * the year 5138, as milliseconds it is March 1973.
	 */
	static final long MILLISECONDS_FROM = 100_000_000_000L;

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
		Instant stated = earliest(expiresAt(parameters.get(EXPIRES_AT), now),
				expiresIn(parameters.get(EXPIRES_IN), now));
		stated = earliest(stated, JwtExpiry.of(parameters.get(ACCESS_TOKEN)));
		if (stated != null) {
			return capped(stated, now);
		}
		Instant idTokenExp = JwtExpiry.of(parameters.get(ID_TOKEN));
		return capped((idTokenExp != null && idTokenExp.isAfter(now)) ? idTokenExp : now.plus(this.fallbackTtl), now);
	}

	private static @Nullable Instant expiresAt(@Nullable Object value, Instant now) {
		Long expiresAt = StatedTime.seconds(value);
		if (expiresAt == null) {
			return null;
		}
		if (expiresAt < MILLISECONDS_FROM) {
			return StatedTime.epochSecond(expiresAt);
		}
		Instant inMillis = Instant.ofEpochSecond(expiresAt / 1000);
		return inMillis.isAfter(now.plus(MAX_LIFETIME)) ? null : inMillis;
	}

	private static @Nullable Instant expiresIn(@Nullable Object value, Instant now) {
		Long expiresIn = StatedTime.seconds(value);
		return (expiresIn != null) ? plusSeconds(now, expiresIn) : null;
	}

	private static @Nullable Instant earliest(@Nullable Instant first, @Nullable Instant second) {
		if (first == null) {
			return second;
		}
		return (second != null && second.isBefore(first)) ? second : first;
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
			return capped((exp != null && exp.isBefore(expiresAt)) ? exp : expiresAt, now);
		}
		return capped((exp != null) ? exp : now.plus(this.fallbackTtl), now);
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
