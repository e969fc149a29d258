package dev.dexpace.tokencache.dpop;

import java.net.URI;
import java.text.ParseException;
import java.time.Instant;
import java.util.Map;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DPoPRegistrations}: the decisions RestClient, WebClient and the token
 * clients share.
 */
class DPoPRegistrationsTests {

	private final DPoPRegistrations dpop = new DPoPRegistrations(
			Map.of("bound", new DPoPRegistrations.Binding(DPoPProofs.generate(JWSAlgorithm.ES256), false)));

	private final OAuth2AccessToken dpopToken = new OAuth2AccessToken(OAuth2AccessToken.TokenType.DPOP, "tkn",
			Instant.now(), Instant.now().plusSeconds(60));

	@Test
	void aDPoPTokenOfABoundRegistrationGoesOutAsDPoPWithAProofForTheCall() throws Exception {
		HttpHeaders headers = new HttpHeaders();
		this.dpop.authorize("bound", "PUT", URI.create("http://api/orders?x=1"), this.dpopToken, headers);
		assertThat(headers.getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("DPoP tkn");
		SignedJWT proof = SignedJWT.parse(headers.getFirst("DPoP"));
		assertThat(proof.getJWTClaimsSet().getStringClaim("htm")).isEqualTo("PUT");
		assertThat(proof.getJWTClaimsSet().getStringClaim("ath")).isEqualTo(DPoPProofs.ath("tkn"));
	}

	@Test
	void aBearerTokenOrAnUnboundRegistrationGoesOutAsBearerWithoutAProof() {
		HttpHeaders headers = new HttpHeaders();
		this.dpop.authorize("other", "GET", URI.create("http://api/"), this.dpopToken, headers);
		assertThat(headers.getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("Bearer tkn");
		assertThat(headers.containsHeader("DPoP")).isFalse();
		OAuth2AccessToken bearer = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "b", Instant.now(),
				Instant.now().plusSeconds(60));
		HttpHeaders bound = new HttpHeaders();
		this.dpop.authorize("bound", "GET", URI.create("http://api/"), bearer, bound);
		assertThat(bound.getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("Bearer b");
	}

	@Test
	void aNonceChallengeIsRememberedPerServerAndCarriedByTheNextProof() throws Exception {
		assertThat(this.dpop.nonceChallenged("bound", URI.create("http://api:80/a"), HttpStatus.UNAUTHORIZED,
				nonceChallenge("n-42")))
			.isTrue();
		assertThat(nonce(call("http://API/b"))).isEqualTo("n-42");
		assertThat(nonce(call("http://other/b"))).isNull();
	}

	@Test
	void anIdentityProviderAndAnAPIOnOneOriginKeepTheirOwnNonces() throws Exception {
		ClientRegistration registration = ClientRegistration.withRegistrationId("bound")
			.clientId("client")
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.tokenUri("http://server/token")
			.build();
		HttpHeaders tokenResponse = new HttpHeaders();
		tokenResponse.set("DPoP-Nonce", "idp-nonce");
		this.dpop.nonceReceived(URI.create("http://server/token"), tokenResponse);
		assertThat(this.dpop.nonceChallenged("bound", URI.create("http://server/api"), HttpStatus.UNAUTHORIZED,
				nonceChallenge("api-nonce")))
			.isTrue();
		assertThat(nonce(call("http://server/api"))).isEqualTo("api-nonce");
		assertThat(nonce(this.dpop.tokenRequestHeaders(registration))).isEqualTo("idp-nonce");
	}

	@Test
	void aNonceChallengeWithoutANonceOrANonceThatIsNotOneIsNotRetried() {
		HttpHeaders response = new HttpHeaders();
		response.set(HttpHeaders.WWW_AUTHENTICATE, "DPoP error=\"use_dpop_nonce\"");
		assertThat(this.dpop.nonceChallenged("bound", URI.create("http://api/"), HttpStatus.UNAUTHORIZED, response))
			.isFalse();
		response.set("DPoP-Nonce", "has \"quotes\"");
		assertThat(this.dpop.nonceChallenged("bound", URI.create("http://api/"), HttpStatus.UNAUTHORIZED, response))
			.isFalse();
	}

	@Test
	void onlyUseDPoPNonceFromTheIdentityProviderOfABoundRegistrationIsRetried() {
		OAuth2AuthorizationException useNonce = new OAuth2AuthorizationException(new OAuth2Error("use_dpop_nonce"));
		assertThat(this.dpop.retryForNonce("bound", useNonce)).isTrue();
		assertThat(this.dpop.retryForNonce("other", useNonce)).isFalse();
		assertThat(this.dpop.retryForNonce("bound",
				new OAuth2AuthorizationException(new OAuth2Error("invalid_dpop_proof"))))
			.isFalse();
	}

	private static HttpHeaders nonceChallenge(String nonce) {
		HttpHeaders response = new HttpHeaders();
		response.set("DPoP-Nonce", nonce);
		response.set(HttpHeaders.WWW_AUTHENTICATE, "DPoP error=\"use_dpop_nonce\"");
		return response;
	}

	private HttpHeaders call(String uri) {
		HttpHeaders request = new HttpHeaders();
		this.dpop.authorize("bound", "GET", URI.create(uri), this.dpopToken, request);
		return request;
	}

	private static String nonce(HttpHeaders request) throws ParseException {
		return SignedJWT.parse(request.getFirst("DPoP")).getJWTClaimsSet().getStringClaim("nonce");
	}

}
