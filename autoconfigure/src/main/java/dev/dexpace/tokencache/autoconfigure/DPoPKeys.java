package dev.dexpace.tokencache.autoconfigure;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JWSAlgorithm;
import dev.dexpace.tokencache.dpop.DPoPProofs;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

/**
 * Builds the {@link DPoPRegistrations} from {@code dexpace.token-cache.registration.*.dpop}:
 * one key generated at start-up per algorithm (shared by the registrations of this
 * instance that use it), or the key of an SSL bundle, so a fleet shares it. A bad
 * algorithm, a missing bundle or a bundle without a usable key fails start-up with a
 * message that names the property; no message shows key material.
 */
final class DPoPKeys {

	private DPoPKeys() {
	}

	static DPoPRegistrations registrations(RegistrationSettings settings, @Nullable SslBundles sslBundles) {
		Map<String, DPoPRegistrations.Binding> bindings = new LinkedHashMap<>();
		Map<String, DPoPProofs> keys = new LinkedHashMap<>();
		settings.byRegistrationId().forEach((registrationId, registration) -> {
			TokenCacheProperties.Dpop dpop = registration.getDpop();
			if (!dpop.isEnabled()) {
				return;
			}
			String property = "registration." + settings.keyOf(registrationId) + ".dpop.";
			JWSAlgorithm algorithm = algorithm(property + "algorithm", dpop.getAlgorithm());
			String bundle = dpop.getSslBundle();
			String id = (bundle != null && !bundle.isBlank()) ? "bundle:" + bundle + ':' + algorithm
					: "generated:" + algorithm;
			DPoPProofs proofs = keys.computeIfAbsent(id,
					(ignored) -> (bundle != null && !bundle.isBlank())
							? fromBundle(property + "ssl-bundle", bundle, algorithm, sslBundles)
							: DPoPProofs.generate(algorithm));
			bindings.put(registrationId, new DPoPRegistrations.Binding(proofs, dpop.isAllowBearer()));
		});
		return bindings.isEmpty() ? DPoPRegistrations.none() : new DPoPRegistrations(bindings);
	}

	private static JWSAlgorithm algorithm(String property, String value) {
		JWSAlgorithm algorithm = JWSAlgorithm.parse(value.trim());
		if (!DPoPProofs.SUPPORTED_ALGORITHMS.contains(algorithm)) {
			String edDSA = JWSAlgorithm.Family.ED.contains(algorithm)
					? " (Nimbus JOSE signs EdDSA only with Google Tink, which the starter does not use)" : "";
			throw TokenCacheProperties.invalid(property, value, "is not a DPoP algorithm this starter signs with"
					+ edDSA + "; use ES256, ES384, ES512, PS256, PS384, PS512 or RS256");
		}
		return algorithm;
	}

	private static DPoPProofs fromBundle(String property, String name, JWSAlgorithm algorithm,
			@Nullable SslBundles sslBundles) {
		if (sslBundles == null) {
			throw TokenCacheProperties.invalid(property, name, "no SSL bundles are configured");
		}
		SslBundle bundle;
		try {
			bundle = sslBundles.getBundle(name);
		}
		catch (NoSuchSslBundleException ex) {
			throw TokenCacheProperties.invalid(property, name, "names no SSL bundle");
		}
		KeyStore keyStore = bundle.getStores().getKeyStore();
		if (keyStore == null) {
			throw TokenCacheProperties.invalid(property, name, "the SSL bundle has no key store");
		}
		try {
			String alias = alias(property, name, keyStore, bundle.getKey().getAlias());
			String password = bundle.getKey().getPassword();
			if (password == null) {
				password = bundle.getStores().getKeyStorePassword();
			}
			Key key = keyStore.getKey(alias, (password != null) ? password.toCharArray() : null);
			Certificate certificate = keyStore.getCertificate(alias);
			if (!(key instanceof PrivateKey privateKey) || certificate == null) {
				throw TokenCacheProperties.invalid(property, name,
						"the SSL bundle's entry '" + alias + "' is not a private key with a certificate");
			}
			return DPoPProofs.of(new KeyPair(certificate.getPublicKey(), privateKey), algorithm, Clock.systemUTC());
		}
		catch (GeneralSecurityException ex) {
			// The exception's message may name the store, never the key; still, say only what failed.
			throw TokenCacheProperties.invalid(property, name,
					"the key of the SSL bundle cannot be read (" + ex.getClass().getSimpleName() + ")");
		}
		catch (IllegalArgumentException ex) {
			// DPoPProofs names the algorithm and the key type only.
			throw TokenCacheProperties.invalid(property, name, String.valueOf(ex.getMessage()));
		}
	}

	private static String alias(String property, String name, KeyStore keyStore, @Nullable String alias)
			throws GeneralSecurityException {
		if (alias != null) {
			return alias;
		}
		List<String> keys = new ArrayList<>();
		for (String candidate : Collections.list(keyStore.aliases())) {
			if (keyStore.isKeyEntry(candidate)) {
				keys.add(candidate);
			}
		}
		if (keys.size() != 1) {
			throw TokenCacheProperties.invalid(property, name,
					"the SSL bundle holds " + keys.size() + " keys; set its key alias");
		}
		return keys.get(0);
	}

}
