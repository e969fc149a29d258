package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;

/**
 * The HTTP settings of token requests, one decision for the RestClient and the WebClient
 * token clients: Spring Boot's {@code spring.http.clients.*} settings (connect and read
 * timeouts, redirects, the SSL bundle), each registration's
 * {@code dexpace.token-cache.registration.<id>.ssl-bundle} in place of Boot's bundle,
 * and {@code token-request-timeout} as the upper bound of both timeouts.
 * <p>
 * Token requests always go through the JDK {@link java.net.http.HttpClient}, whatever
 * {@code spring.http.clients.imperative.factory} picks: its read timeout bounds the whole
 * response, body included, which is what {@code token-request-timeout} promises, and one
 * transport for both token clients means that TLS and redirects behave the same. A token
 * request follows no redirect unless {@code spring.http.clients.redirects} says so: a
 * redirected token request would carry the client's credentials elsewhere.
 */
final class TokenEndpointTransports {

	private final HttpClientSettings settings;

	private final @Nullable SslBundles sslBundles;

	private final RegistrationSettings registrations;

	private final Map<String, ClientHttpRequestFactory> requestFactories = new ConcurrentHashMap<>();

	private final Map<String, ClientHttpConnector> connectors = new ConcurrentHashMap<>();

	TokenEndpointTransports(@Nullable HttpClientSettings settings, @Nullable SslBundles sslBundles,
			Duration tokenRequestTimeout, RegistrationSettings registrations) {
		HttpClientSettings boot = (settings != null) ? settings : HttpClientSettings.defaults();
		this.settings = new HttpClientSettings(
				(boot.redirects() != null) ? boot.redirects() : HttpRedirects.DONT_FOLLOW,
				atMost(boot.connectTimeout(), tokenRequestTimeout), atMost(boot.readTimeout(), tokenRequestTimeout),
				boot.sslBundle());
		this.sslBundles = sslBundles;
		this.registrations = registrations;
	}

	static TokenEndpointTransports of(BeanFactory beanFactory, TokenCacheProperties properties,
			RegistrationSettings registrations) {
		return new TokenEndpointTransports(beanFactory.getBeanProvider(HttpClientSettings.class).getIfAvailable(),
				beanFactory.getBeanProvider(SslBundles.class).getIfAvailable(), properties.getTokenRequestTimeout(),
				registrations);
	}

	private static Duration atMost(@Nullable Duration configured, Duration bound) {
		return (configured != null && configured.compareTo(bound) < 0) ? configured : bound;
	}

	/**
	 * Return the settings of the token requests of a registration.
	 * @param registrationId the registration id
	 * @return the settings
	 * @throws InvalidConfigurationPropertyValueException if its SSL bundle does not exist
	 */
	HttpClientSettings settings(String registrationId) {
		String bundle = bundleName(registrationId);
		return (bundle != null) ? this.settings.withSslBundle(bundle(registrationId, "ssl-bundle", bundle))
				: this.settings;
	}

	/**
	 * Return the request factory of the blocking token client for a registration; all
	 * registrations that use the same SSL bundle share one.
	 * @param registrationId the registration id
	 * @return the request factory
	 */
	ClientHttpRequestFactory requestFactory(String registrationId) {
		HttpClientSettings settings = settings(registrationId);
		return this.requestFactories.computeIfAbsent(transportKey(registrationId),
				(key) -> ClientHttpRequestFactoryBuilder.jdk().build(settings));
	}

	/**
	 * Return the connector of the reactive token client for a registration; all
	 * registrations that use the same SSL bundle share one.
	 * @param registrationId the registration id
	 * @return the connector
	 */
	ClientHttpConnector connector(String registrationId) {
		HttpClientSettings settings = settings(registrationId);
		return this.connectors.computeIfAbsent(transportKey(registrationId),
				(key) -> ClientHttpConnectorBuilder.jdk().build(settings));
	}

	/**
	 * Fail start-up for a registration whose TLS settings cannot work: a missing SSL
	 * bundle, or {@code tls_client_auth} / {@code self_signed_tls_client_auth} without a
	 * client certificate.
	 * @param registration the client registration
	 */
	void validate(ClientRegistration registration) {
		String registrationId = registration.getRegistrationId();
		HttpClientSettings settings = settings(registrationId);
		if (isMutualTls(registration) && !ClientAssertions.hasPrivateKey(settings.sslBundle())) {
			String bundle = bundleName(registrationId);
			throw new InvalidConfigurationPropertyValueException(property(registrationId, "ssl-bundle"),
					(bundle != null) ? bundle : null,
					"client registration '" + registrationId + "' authenticates with "
							+ registration.getClientAuthenticationMethod().getValue()
							+ " (RFC 8705), which needs an SSL bundle whose key store holds the client certificate and"
							+ " its private key; "
							+ ((bundle != null) ? "bundle '" + bundle + "' has no private key"
									: "set it to the name of such a bundle (spring.ssl.bundle.*)"));
		}
	}

	/**
	 * Whether the token requests of a registration present a client certificate, so that
	 * the identity provider may bind its tokens to it (RFC 8705 section 3).
	 * @param registrationId the registration id
	 * @return whether a client certificate is presented
	 */
	boolean presentsClientCertificate(String registrationId) {
		return ClientAssertions.hasPrivateKey(settings(registrationId).sslBundle());
	}

	static boolean isMutualTls(ClientRegistration registration) {
		ClientAuthenticationMethod method = registration.getClientAuthenticationMethod();
		return ClientAuthenticationMethod.TLS_CLIENT_AUTH.equals(method)
				|| ClientAuthenticationMethod.SELF_SIGNED_TLS_CLIENT_AUTH.equals(method);
	}

	private String transportKey(String registrationId) {
		String bundle = bundleName(registrationId);
		return (bundle != null) ? "bundle:" + bundle : "";
	}

	@Nullable String bundleName(String registrationId) {
		TokenCacheProperties.Registration registration = this.registrations.get(registrationId);
		String bundle = (registration != null) ? registration.getSslBundle() : null;
		return (bundle != null && !bundle.isBlank()) ? bundle.strip() : null;
	}

	/**
	 * Return an SSL bundle, failing with a message that names the property.
	 * @param registrationId the registration id
	 * @param name the property under {@code registration.<id>}
	 * @param bundle the bundle name
	 * @return the bundle
	 */
	SslBundle bundle(String registrationId, String name, String bundle) {
		if (this.sslBundles == null) {
			throw new InvalidConfigurationPropertyValueException(property(registrationId, name), bundle,
					"no SSL bundles are configured (spring.ssl.bundle.*)");
		}
		try {
			return this.sslBundles.getBundle(bundle);
		}
		catch (NoSuchSslBundleException ex) {
			throw new InvalidConfigurationPropertyValueException(property(registrationId, name), bundle,
					"there is no SSL bundle of that name (spring.ssl.bundle.jks.<name> or spring.ssl.bundle.pem.<name>)");
		}
		catch (IllegalStateException ex) {
			throw new InvalidConfigurationPropertyValueException(property(registrationId, name), bundle,
					"the SSL bundle cannot be loaded: " + ex.getMessage());
		}
	}

	static String property(String registrationId, String name) {
		return TokenCacheProperties.CONFIG_PREFIX + ".registration." + registrationId + "." + name;
	}

}
