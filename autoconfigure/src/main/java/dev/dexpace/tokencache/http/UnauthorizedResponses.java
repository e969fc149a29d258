package dev.dexpace.tokencache.http;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;

/**
 * Tells whether a response means "the access token was rejected": a 401 whose
 * {@code WWW-Authenticate} challenge says {@code error="invalid_token"} or names no error
 * at all (a bare 401). A 401 for another error and any 403 leave the token alone.
 */
final class UnauthorizedResponses {

	private UnauthorizedResponses() {
	}

	static boolean tokenRejected(HttpStatusCode status, HttpHeaders headers) {
		if (status.value() != HttpStatus.UNAUTHORIZED.value()) {
			return false;
		}
		for (String challenge : headers.getOrEmpty(HttpHeaders.WWW_AUTHENTICATE)) {
			String error = bearerError(challenge);
			if (error != null && !"invalid_token".equals(error)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Return the {@code error} parameter of a Bearer challenge, or {@code null}.
	 */
	static @Nullable String bearerError(String challenge) {
		String trimmed = challenge.trim();
		if (!trimmed.toLowerCase(Locale.ROOT).startsWith("bearer")) {
			return null;
		}
		for (String parameter : trimmed.substring("bearer".length()).split(",")) {
			int equals = parameter.indexOf('=');
			if (equals > 0 && "error".equalsIgnoreCase(parameter.substring(0, equals).trim())) {
				return parameter.substring(equals + 1).trim().replace("\"", "");
			}
		}
		return null;
	}

}
