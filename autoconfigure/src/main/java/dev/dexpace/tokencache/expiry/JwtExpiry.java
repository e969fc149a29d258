package dev.dexpace.tokencache.expiry;

import java.text.ParseException;
import java.time.Instant;
import java.util.Date;

import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code exp} claim of a JWT without verifying it. The claim is used only as a
 * hint for how long to cache a token, never to decide whether to trust it.
 */
final class JwtExpiry {

	private JwtExpiry() {
	}

	/**
	 * Return the {@code exp} claim of the given token if it is a readable JWT.
	 * @param token a token that may or may not be a JWT
	 * @return the expiry, or {@code null} if the token is not a JWT, cannot be read (for
	 * example an encrypted JWT) or has no {@code exp} claim
	 */
	static @Nullable Instant of(@Nullable Object token) {
		if (!(token instanceof String value) || value.indexOf('.') < 0) {
			return null;
		}
		try {
			JWT jwt = JWTParser.parse(value);
			Date expiration = jwt.getJWTClaimsSet().getExpirationTime();
			return (expiration != null) ? expiration.toInstant() : null;
		}
		catch (ParseException | RuntimeException ex) {
			// Malformed: fall through to the next source. The message may quote the token.
			return null;
		}
	}

}
