package dev.dexpace.tokencache.dpop;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import org.jspecify.annotations.Nullable;

/**
 * Creates DPoP proofs (RFC 9449 section 4.2) with one key: header {@code typ=dpop+jwt},
 * the algorithm and the public {@code jwk}; claims {@code jti} (128 random bits, fresh
 * for every proof), {@code htm}, {@code htu} (without query and fragment), {@code iat}
 * and, where given, {@code ath} (the base64url SHA-256 of the access token) and
 * {@code nonce}. The header is encoded once; a proof costs one signature and a few
 * string operations.
 * <p>
 * The private key stays in this object: {@link #toString()} shows the algorithm and the
 * {@link #thumbprint() JWK thumbprint} (RFC 7638) of the public key, nothing else, and no
 * accessor hands the private key out.
 *
 * @since 0.1.0
 */
public final class DPoPProofs {

	/**
	 * The algorithms proofs can be signed with: the ECDSA and RSA ones Nimbus JOSE signs
	 * without extra libraries. EdDSA would need Google Tink.
	 */
	public static final Set<JWSAlgorithm> SUPPORTED_ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384,
			JWSAlgorithm.ES512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.RS256);

	private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

	private static final JOSEObjectType DPOP_JWT = new JOSEObjectType("dpop+jwt");

	private final JWSAlgorithm algorithm;

	private final JWSSigner signer;

	private final JWSHeader header;

	private final String encodedHeader;

	private final String thumbprint;

	private final Clock clock;

	private final SecureRandom random = new SecureRandom();

	/**
	 * The {@code ath} of the token last proved: calls with a cached token hand in the same
	 * {@code String} instance again and again, so an identity check spares the SHA-256
	 * (and compares nothing of the token's content).
	 */
	private volatile @Nullable Ath lastAth;

	private DPoPProofs(JWSAlgorithm algorithm, JWK key, JWSSigner signer, Clock clock) {
		this.algorithm = algorithm;
		this.signer = signer;
		this.header = new JWSHeader.Builder(algorithm).type(DPOP_JWT).jwk(key.toPublicJWK()).build();
		this.encodedHeader = this.header.toBase64URL().toString();
		try {
			this.thumbprint = key.computeThumbprint().toString();
		}
		catch (JOSEException ex) {
			throw new IllegalStateException("The JWK thumbprint of the DPoP key cannot be computed", ex);
		}
		this.clock = clock;
	}

	/**
	 * Create proofs with a key generated now: a P-256, P-384 or P-521 key for the ECDSA
	 * algorithms, a 2048-bit RSA key for the RSA ones.
	 * @param algorithm the signing algorithm, one of {@link #SUPPORTED_ALGORITHMS}
	 * @return the proofs
	 */
	public static DPoPProofs generate(JWSAlgorithm algorithm) {
		return of(generateKeyPair(algorithm), algorithm, Clock.systemUTC());
	}

	/**
	 * Create proofs with a given key pair.
	 * @param keyPair an EC key pair (for the ECDSA algorithms, on the algorithm's curve) or
	 * an RSA key pair of at least 2048 bits
	 * @param algorithm the signing algorithm, one of {@link #SUPPORTED_ALGORITHMS}
	 * @param clock the clock of the {@code iat} claim
	 * @return the proofs
	 * @throws IllegalArgumentException if the key does not fit the algorithm (the message
	 * names the algorithm and the key type, never the key)
	 */
	public static DPoPProofs of(KeyPair keyPair, JWSAlgorithm algorithm, Clock clock) {
		Objects.requireNonNull(keyPair, "keyPair must not be null");
		checkSupported(algorithm);
		try {
			if (JWSAlgorithm.Family.EC.contains(algorithm)) {
				if (!(keyPair.getPublic() instanceof ECPublicKey publicKey)
						|| !(keyPair.getPrivate() instanceof ECPrivateKey privateKey)) {
					throw new IllegalArgumentException(
							"A DPoP key for " + algorithm + " must be an EC key, not " + keyType(keyPair));
				}
				Curve curve = Curve.forJWSAlgorithm(algorithm).iterator().next();
				if (!curve.equals(Curve.forECParameterSpec(publicKey.getParams()))) {
					throw new IllegalArgumentException("A DPoP key for " + algorithm + " must be on " + curve);
				}
				ECKey key = new ECKey.Builder(curve, publicKey).privateKey(privateKey).build();
				return new DPoPProofs(algorithm, key, new ECDSASigner(privateKey, curve), clock);
			}
			if (!(keyPair.getPublic() instanceof RSAPublicKey publicKey)
					|| !(keyPair.getPrivate() instanceof RSAPrivateKey privateKey)) {
				throw new IllegalArgumentException(
						"A DPoP key for " + algorithm + " must be an RSA key, not " + keyType(keyPair));
			}
			RSAKey key = new RSAKey.Builder(publicKey).privateKey(privateKey).build();
			return new DPoPProofs(algorithm, key, new RSASSASigner(privateKey), clock);
		}
		catch (JOSEException ex) {
			throw new IllegalArgumentException("The DPoP key does not fit " + algorithm, ex);
		}
	}

	private static String keyType(KeyPair keyPair) {
		return keyPair.getPublic().getAlgorithm();
	}

	private static void checkSupported(JWSAlgorithm algorithm) {
		if (!SUPPORTED_ALGORITHMS.contains(algorithm)) {
			throw new IllegalArgumentException("DPoP proofs cannot be signed with " + algorithm
					+ " here; supported: ES256, ES384, ES512, PS256, PS384, PS512, RS256");
		}
	}

	private static KeyPair generateKeyPair(JWSAlgorithm algorithm) {
		checkSupported(algorithm);
		try {
			if (JWSAlgorithm.Family.EC.contains(algorithm)) {
				KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
				Curve curve = Curve.forJWSAlgorithm(algorithm).iterator().next();
				generator.initialize(new ECGenParameterSpec(curve.getStdName()));
				return generator.generateKeyPair();
			}
			KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
			generator.initialize(2048);
			return generator.generateKeyPair();
		}
		catch (java.security.GeneralSecurityException ex) {
			throw new IllegalStateException("A DPoP key for " + algorithm + " cannot be generated", ex);
		}
	}

	/**
	 * Return the signing algorithm.
	 * @return the algorithm
	 */
	public JWSAlgorithm algorithm() {
		return this.algorithm;
	}

	/**
	 * Return the base64url SHA-256 JWK thumbprint (RFC 7638) of the public key: what an
	 * identity provider binds a token to ({@code cnf.jkt}) and what the cache keys a bound
	 * token by. Not a secret.
	 * @return the thumbprint
	 */
	public String thumbprint() {
		return this.thumbprint;
	}

	/**
	 * Create a proof for one request.
	 * @param method the HTTP method
	 * @param uri the request URI; its query and fragment are left out of {@code htu}
	 * @param accessToken the access token the request carries, or {@code null} for a token
	 * request
	 * @param nonce the nonce the server asked for, or {@code null}
	 * @return the proof, a compact JWS
	 */
	public String proof(String method, URI uri, @Nullable String accessToken, @Nullable String nonce) {
		StringBuilder claims = new StringBuilder(256);
		claims.append("{\"jti\":\"").append(jti()).append("\",\"htm\":\"");
		appendJsonText(claims, method.toUpperCase(Locale.ROOT));
		claims.append("\",\"htu\":\"");
		appendJsonText(claims, htu(uri));
		claims.append("\",\"iat\":").append(this.clock.instant().getEpochSecond());
		if (accessToken != null) {
			claims.append(",\"ath\":\"").append(cachedAth(accessToken)).append('"');
		}
		if (nonce != null) {
			claims.append(",\"nonce\":\"");
			appendJsonText(claims, nonce);
			claims.append('"');
		}
		claims.append('}');
		String signingInput = this.encodedHeader + '.'
				+ BASE64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
		try {
			return signingInput + '.'
					+ this.signer.sign(this.header, signingInput.getBytes(StandardCharsets.US_ASCII));
		}
		catch (JOSEException ex) {
			// Nimbus' message names the algorithm and the failure, not the key.
			throw new IllegalStateException("A DPoP proof could not be signed: " + ex.getMessage(), ex);
		}
	}

	private String cachedAth(String accessToken) {
		Ath last = this.lastAth;
		if (last != null && last.token() == accessToken) {
			return last.ath();
		}
		String ath = ath(accessToken);
		this.lastAth = new Ath(accessToken, ath);
		return ath;
	}

	private String jti() {
		byte[] bytes = new byte[16];
		this.random.nextBytes(bytes);
		return BASE64URL.encodeToString(bytes);
	}

	/**
	 * Return the {@code htu} of a request URI: scheme, authority and path, without query
	 * and fragment (RFC 9449 section 4.2).
	 * @param uri the request URI
	 * @return the {@code htu}
	 */
	static String htu(URI uri) {
		if (uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null) {
			return uri.toASCIIString();
		}
		try {
			return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), null, null, null).toASCIIString()
					+ ((uri.getRawPath() != null) ? uri.getRawPath() : "");
		}
		catch (URISyntaxException ex) {
			throw new IllegalArgumentException("Not a request URI", ex);
		}
	}

	/**
	 * Return the {@code ath} of an access token: base64url SHA-256 of its ASCII bytes.
	 * @param accessToken the access token
	 * @return the {@code ath}
	 */
	static String ath(String accessToken) {
		try {
			return BASE64URL.encodeToString(
					MessageDigest.getInstance("SHA-256").digest(accessToken.getBytes(StandardCharsets.US_ASCII)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

	private static void appendJsonText(StringBuilder json, String value) {
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c == '"' || c == '\\') {
				json.append('\\').append(c);
			}
			else if (c < 0x20) {
				json.append(String.format("\\u%04x", (int) c));
			}
			else {
				json.append(c);
			}
		}
	}

	/**
	 * A token and its {@code ath}; never shown.
	 */
	private record Ath(String token, String ath) {

		@Override
		public String toString() {
			return "Ath[<redacted>]";
		}

	}

	@Override
	public String toString() {
		return "DPoPProofs[algorithm=" + this.algorithm + ", thumbprint=" + this.thumbprint + "]";
	}

}
