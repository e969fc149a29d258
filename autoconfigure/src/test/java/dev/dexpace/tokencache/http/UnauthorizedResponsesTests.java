package dev.dexpace.tokencache.http;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link UnauthorizedResponses}.
 */
class UnauthorizedResponsesTests {

	@Test
	void bare401IsARejection() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED, new HttpHeaders())).isTrue();
	}

	@Test
	void invalidTokenChallengeIsARejection() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED,
				challenge("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"expired\"")))
			.isTrue();
	}

	@Test
	void otherBearerErrorsAreNot() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED,
				challenge("Bearer error=\"invalid_request\"")))
			.isFalse();
	}

	@Test
	void forbiddenIsNot() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.FORBIDDEN,
				challenge("Bearer error=\"insufficient_scope\"")))
			.isFalse();
	}

	@Test
	void nonBearerChallengeOn401IsARejection() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED, challenge("Basic realm=\"x\"")))
			.isTrue();
	}

	@Test
	void aDPoPChallengeForABadProofOrANonceIsNotARejection() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED,
				challenge("DPoP error=\"invalid_dpop_proof\", algs=\"ES256 PS256\"")))
			.isFalse();
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED,
				challenge("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce\"")))
			.isFalse();
	}

	@Test
	void aDPoPChallengeThatSaysInvalidTokenIsARejection() {
		assertThat(UnauthorizedResponses.tokenRejected(HttpStatus.UNAUTHORIZED,
				challenge("DPoP error=\"invalid_token\", algs=\"ES256\"")))
			.isTrue();
	}

	private static HttpHeaders challenge(String value) {
		HttpHeaders headers = new HttpHeaders();
		headers.add(HttpHeaders.WWW_AUTHENTICATE, value);
		return headers;
	}

}
