package dev.dexpace.tokencache.http;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;

/**
 * Tells whether a response means "the access token was rejected": a 401 whose
 * {@code WWW-Authenticate} challenge says {@code error="invalid_token"} or names no error
 * at all (a bare 401), in a Bearer or a DPoP challenge. A 401 for another error and any
 * 403 leave the token alone.
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
	 * Return the {@code error} parameter of a Bearer or DPoP challenge, or {@code null}.
	 * A DPoP token is rejected with a DPoP challenge (RFC 9449 section 7.1): its
	 * {@code invalid_dpop_proof} or {@code use_dpop_nonce} must not delete the token.
	 */
	static @Nullable String bearerError(String challenge) {
		String error = DPoPRegistrations.error(challenge, "bearer");
		return (error != null) ? error : DPoPRegistrations.error(challenge, "dpop");
	}

}
