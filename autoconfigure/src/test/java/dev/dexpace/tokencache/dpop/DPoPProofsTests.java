package dev.dexpace.tokencache.dpop;

import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link DPoPProofs}.
 */
class DPoPProofsTests {

	private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

	@Test
	void aProofForACallCarriesTheRfc9449HeaderAndClaimsAndVerifiesWithItsOwnJwk() throws Exception {
		KeyPair keyPair = ecKeyPair("secp256r1");
		DPoPProofs proofs = DPoPProofs.of(keyPair, JWSAlgorithm.ES256, Clock.fixed(NOW, ZoneOffset.UTC));
		SignedJWT proof = SignedJWT
			.parse(proofs.proof("get", URI.create("https://api.example/orders/7?page=2#top"), "the-token", "n-1"));
		assertThat(proof.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
		assertThat(proof.getHeader().getType()).isEqualTo(new JOSEObjectType("dpop+jwt"));
		JWK jwk = proof.getHeader().getJWK();
		assertThat(jwk.isPrivate()).isFalse();
		assertThat(proof.verify(new ECDSAVerifier(jwk.toECKey()))).isTrue();
		assertThat(jwk.computeThumbprint().toString()).isEqualTo(proofs.thumbprint());
		JWTClaimsSet claims = proof.getJWTClaimsSet();
		assertThat(claims.getStringClaim("htm")).isEqualTo("GET");
		assertThat(claims.getStringClaim("htu")).isEqualTo("https://api.example/orders/7");
		assertThat(claims.getIssueTime().toInstant()).isEqualTo(NOW);
		assertThat(claims.getStringClaim("ath")).isEqualTo(Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest("the-token".getBytes())));
		assertThat(claims.getStringClaim("nonce")).isEqualTo("n-1");
		assertThat(claims.getJWTID()).hasSizeGreaterThanOrEqualTo(22);
	}

	@Test
	void aProofForATokenRequestHasNeitherAthNorNonceUnlessGivenOne() throws Exception {
		DPoPProofs proofs = DPoPProofs.generate(JWSAlgorithm.ES256);
		JWTClaimsSet claims = SignedJWT.parse(proofs.proof("POST", URI.create("http://idp:8080/token"), null, null))
			.getJWTClaimsSet();
		assertThat(claims.getClaims()).containsOnlyKeys("jti", "htm", "htu", "iat");
		assertThat(claims.getStringClaim("htu")).isEqualTo("http://idp:8080/token");
	}

	@Test
	void everyProofHasItsOwnJti() throws Exception {
		DPoPProofs proofs = DPoPProofs.generate(JWSAlgorithm.ES256);
		Set<String> jtis = new HashSet<>();
		for (int i = 0; i < 1000; i++) {
			jtis.add(SignedJWT.parse(proofs.proof("GET", URI.create("http://api/x"), "t", null))
				.getJWTClaimsSet()
				.getJWTID());
		}
		assertThat(jtis).hasSize(1000);
	}

	@Test
	void rsaPssProofsVerifyToo() throws Exception {
		DPoPProofs proofs = DPoPProofs.generate(JWSAlgorithm.PS256);
		SignedJWT proof = SignedJWT.parse(proofs.proof("GET", URI.create("http://api/x"), "t", null));
		assertThat(proof.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.PS256);
		assertThat(proof.verify(new RSASSAVerifier(proof.getHeader().getJWK().toRSAKey()))).isTrue();
	}

	@Test
	void aKeyThatDoesNotFitTheAlgorithmIsRefusedWithoutShowingTheKey() throws Exception {
		KeyPair p384 = ecKeyPair("secp384r1");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> DPoPProofs.of(p384, JWSAlgorithm.ES256, Clock.systemUTC()))
			.withMessageContaining("ES256")
			.withMessageNotContaining(((ECPrivateKey) p384.getPrivate()).getS().toString());
		assertThatIllegalArgumentException()
			.isThrownBy(() -> DPoPProofs.of(p384, JWSAlgorithm.PS256, Clock.systemUTC()))
			.withMessageContaining("must be an RSA key");
		assertThatIllegalArgumentException().isThrownBy(() -> DPoPProofs.generate(JWSAlgorithm.EdDSA))
			.withMessageContaining("EdDSA");
	}

	@Test
	void toStringShowsTheAlgorithmAndThumbprintAndNothingOfThePrivateKey() {
		KeyPair keyPair = ecKeyPair("secp256r1");
		DPoPProofs proofs = DPoPProofs.of(keyPair, JWSAlgorithm.ES256, Clock.systemUTC());
		String privateD = Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString(((ECPrivateKey) keyPair.getPrivate()).getS().toByteArray());
		assertThat(proofs.toString()).isEqualTo("DPoPProofs[algorithm=ES256, thumbprint=" + proofs.thumbprint() + "]")
			.doesNotContain(privateD);
	}

	@Test
	void htuKeepsThePathAndDropsUserInfoQueryAndFragment() {
		assertThat(DPoPProofs.htu(URI.create("https://user@api.example:8443/a/b%20c?x=1#f")))
			.isEqualTo("https://api.example:8443/a/b%20c");
		assertThat(DPoPProofs.htu(URI.create("http://api/"))).isEqualTo("http://api/");
	}

	private static KeyPair ecKeyPair(String curve) {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
			generator.initialize(new ECGenParameterSpec(curve));
			return generator.generateKeyPair();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
