package dev.dexpace.tokencache.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.factories.DefaultJWSSignerFactory;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.NimbusJwtClientAuthenticationParametersConverter;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.util.MultiValueMap;

/**
 * The JWT client assertions of {@code private_key_jwt} (signed with a key from an SSL
 * bundle) and {@code client_secret_jwt} (with the client secret), RFC 7523, built by
 * Spring Security's {@link NimbusJwtClientAuthenticationParametersConverter} from the
 * registration's {@code client-assertion.*} settings. Each registration's key is read
 * and tried once: a key that cannot sign with the algorithm stops start-up, naming the
 * property. Never a secret in a message: of a key only its type and alias.
 */
final class ClientAssertions {

	private final TokenEndpointTransports transports;

	private final RegistrationSettings registrations;

	private final Map<String, JWK> keys = new ConcurrentHashMap<>();

	ClientAssertions(TokenEndpointTransports transports, RegistrationSettings registrations) {
		this.transports = transports;
		this.registrations = registrations;
	}

	/**
	 * The parameters every token request of a JWT-authenticated registration carries;
	 * nothing for the other registrations.
	 */
	Converter<AbstractOAuth2AuthorizationGrantRequest, MultiValueMap<String, String>> parametersConverter() {
		return new NimbusJwtClientAuthenticationParametersConverter<>(this::key);
	}

	/**
	 * Fail start-up for a registration whose client assertion settings cannot work.
	 * @param registration the client registration
	 */
	void validate(ClientRegistration registration) {
		TokenCacheProperties.ClientAssertion settings = settings(registration.getRegistrationId());
		ClientAuthenticationMethod method = registration.getClientAuthenticationMethod();
		boolean jwt = ClientAuthenticationMethod.PRIVATE_KEY_JWT.equals(method)
				|| ClientAuthenticationMethod.CLIENT_SECRET_JWT.equals(method);
		if (!jwt) {
			if (settings != null && settings.getSslBundle() != null) {
				throw invalid(registration, "ssl-bundle", settings.getSslBundle(),
						"is set, but spring.security.oauth2.client.registration." + registration.getRegistrationId()
								+ ".client-authentication-method is " + method.getValue() + "; set it to private_key_jwt");
			}
			return;
		}
		key(registration);
	}

	private TokenCacheProperties.@Nullable ClientAssertion settings(String registrationId) {
		TokenCacheProperties.Registration registration = this.registrations.get(registrationId);
		return (registration != null) ? registration.getClientAssertion() : null;
	}

	private JWK key(ClientRegistration registration) {
		return this.keys.computeIfAbsent(registration.getRegistrationId(), (id) -> read(registration));
	}

	private JWK read(ClientRegistration registration) {
		TokenCacheProperties.ClientAssertion settings = settings(registration.getRegistrationId());
		String algorithm = (settings != null) ? settings.getAlgorithm() : null;
		String keyId = (settings != null) ? settings.getKeyId() : null;
		JWK key;
		if (ClientAuthenticationMethod.CLIENT_SECRET_JWT.equals(registration.getClientAuthenticationMethod())) {
			String secret = registration.getClientSecret();
			if (secret == null || secret.isEmpty()) {
				throw new InvalidConfigurationPropertyValueException(
						"spring.security.oauth2.client.registration." + registration.getRegistrationId() + ".client-secret",
						null, "client_secret_jwt signs the client assertion with the client secret; set one");
			}
			JWSAlgorithm jws = (algorithm != null) ? JWSAlgorithm.parse(algorithm.strip()) : JWSAlgorithm.HS256;
			key = new OctetSequenceKey.Builder(secret.getBytes(StandardCharsets.UTF_8)).algorithm(jws)
				.keyID(keyId)
				.build();
		}
		else {
			String bundleName = (settings != null) ? settings.getSslBundle() : null;
			if (bundleName == null || bundleName.isBlank()) {
				throw invalid(registration, "ssl-bundle", null,
						"client registration '" + registration.getRegistrationId()
								+ "' authenticates with private_key_jwt; set the name of the SSL bundle whose key store"
								+ " holds the signing key");
			}
			SslBundle bundle = this.transports.bundle(registration.getRegistrationId(), "client-assertion.ssl-bundle",
					bundleName.strip());
			key = fromBundle(registration, bundle, bundleName.strip(), algorithm, keyId);
		}
		probe(registration, key, (algorithm != null) ? algorithm : key.getAlgorithm().getName());
		return key;
	}

	private static JWK fromBundle(ClientRegistration registration, SslBundle bundle, String bundleName,
			@Nullable String algorithm, @Nullable String keyId) {
		PrivateKeyEntry entry = privateKey(bundle);
		if (entry == null) {
			throw invalid(registration, "ssl-bundle", bundleName,
					"the bundle's key store holds no private key" + ((bundle.getKey().getAlias() != null)
							? " under its key alias '" + bundle.getKey().getAlias() + "'" : ""));
		}
		if (entry.key() instanceof RSAPrivateKey rsa && entry.certificate().getPublicKey() instanceof RSAPublicKey pub) {
			return new RSAKey.Builder(pub).privateKey(rsa)
				.algorithm((algorithm != null) ? JWSAlgorithm.parse(algorithm.strip()) : JWSAlgorithm.RS256)
				.keyID(keyId)
				.build();
		}
		if (entry.key() instanceof ECPrivateKey ec && entry.certificate().getPublicKey() instanceof ECPublicKey pub) {
			Curve curve = Curve.forECParameterSpec(pub.getParams());
			if (curve == null) {
				throw invalid(registration, "ssl-bundle", bundleName, "the EC key is on a curve JWS does not use");
			}
			JWSAlgorithm defaultAlgorithm = Curve.P_384.equals(curve) ? JWSAlgorithm.ES384
					: Curve.P_521.equals(curve) ? JWSAlgorithm.ES512 : JWSAlgorithm.ES256;
			return new ECKey.Builder(curve, pub).privateKey(ec)
				.algorithm((algorithm != null) ? JWSAlgorithm.parse(algorithm.strip()) : defaultAlgorithm)
				.keyID(keyId)
				.build();
		}
		throw invalid(registration, "ssl-bundle", bundleName,
				"the bundle's key is a " + entry.key().getAlgorithm() + " key; private_key_jwt needs an RSA or EC key");
	}

	/**
	 * Sign a probe, so that a key that cannot sign with the algorithm (an RSA key with
	 * ES256, an RSA key under 2048 bits, an EC key on another curve, a secret too short
	 * for HS256) stops start-up rather than every token request.
	 */
	private static void probe(ClientRegistration registration, JWK key, String algorithm) {
		try {
			JWSAlgorithm jws = JWSAlgorithm.parse(algorithm);
			JWSSigner signer = new DefaultJWSSignerFactory().createJWSSigner(key, jws);
			new JWSObject(new JWSHeader(jws), new Payload("probe")).sign(signer);
		}
		catch (JOSEException | IllegalStateException ex) {
			throw invalid(registration, "algorithm", algorithm, "the " + key.getKeyType() + " key of client registration '"
					+ registration.getRegistrationId() + "' cannot sign with it (" + ex.getMessage() + ")");
		}
	}

	static boolean hasPrivateKey(@Nullable SslBundle bundle) {
		return bundle != null && privateKey(bundle) != null;
	}

	private static @Nullable PrivateKeyEntry privateKey(SslBundle bundle) {
		KeyStore store = bundle.getStores().getKeyStore();
		if (store == null) {
			return null;
		}
		String password = bundle.getKey().getPassword();
		password = (password != null) ? password : bundle.getStores().getKeyStorePassword();
		char[] chars = (password != null) ? password.toCharArray() : new char[0];
		try {
			String alias = bundle.getKey().getAlias();
			List<String> aliases = (alias != null) ? List.of(alias) : new ArrayList<>(Collections.list(store.aliases()));
			for (String candidate : aliases) {
				if (store.isKeyEntry(candidate)) {
					Key key = store.getKey(candidate, chars);
					Certificate certificate = store.getCertificate(candidate);
					if (key instanceof PrivateKey privateKey && certificate != null) {
						return new PrivateKeyEntry(privateKey, certificate);
					}
				}
			}
			return null;
		}
		catch (GeneralSecurityException ex) {
			return null;
		}
	}

	private static InvalidConfigurationPropertyValueException invalid(ClientRegistration registration, String name,
			@Nullable Object value, String reason) {
		return new InvalidConfigurationPropertyValueException(
				TokenEndpointTransports.property(registration.getRegistrationId(), "client-assertion." + name), value,
				reason);
	}

	private record PrivateKeyEntry(PrivateKey key, Certificate certificate) {

	}

}
