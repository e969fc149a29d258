package dev.dexpace.tokencache.expiry;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code exp} claim of a JWT without verifying it. The claim is used only as a
 * hint for how long to cache a token, never to decide whether to trust it.
 * <p>
 * The claim is read from the raw payload rather than through a claims-set parser, which
 * multiplies the seconds by 1,000 in a {@code long} and so turns a huge {@code exp} into
 * an arbitrary date.
 */
final class JwtExpiry {

	/**
	 * Longer tokens are not read at all: no real JWT is this long, and the payload is
	 * decoded and parsed in memory.
	 */
	static final int MAX_JWT_CHARS = 1 << 20;

	private JwtExpiry() {
	}

	/**
	 * Return the {@code exp} claim of the given token if it is a readable JWT.
	 * @param token a token that may or may not be a JWT
	 * @return the expiry, or {@code null} if the token is not a JWS or unsecured JWT,
	 * cannot be read (for example an encrypted JWT), or has no numeric {@code exp} claim
	 */
	static @Nullable Instant of(@Nullable Object token) {
		if (!(token instanceof String value) || value.length() > MAX_JWT_CHARS) {
			return null;
		}
		int first = value.indexOf('.');
		int second = (first >= 0) ? value.indexOf('.', first + 1) : -1;
		if (first <= 0 || second < 0 || value.indexOf('.', second + 1) >= 0) {
			// Not three parts: not a JWT, or an encrypted one (five parts) we cannot read.
			return null;
		}
		try {
			byte[] payload = Base64.getUrlDecoder().decode(value.substring(first + 1, second));
			Map<String, Object> claims = JSONObjectUtils.parse(new String(payload, StandardCharsets.UTF_8));
			Long seconds = StatedTime.seconds(claims.get("exp"));
			return (seconds != null) ? StatedTime.epochSecond(seconds) : null;
		}
		catch (ParseException | RuntimeException | StackOverflowError ex) {
			// Malformed: fall through to the next source. The message may quote the token.
			return null;
		}
	}

}
