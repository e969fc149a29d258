package dev.dexpace.tokencache.test;

import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import jakarta.servlet.Filter;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;

/**
 * Starts a servlet application (an authorization server, a resource server) on a random
 * loopback port for a test, without letting Spring Boot reconfigure logging: that would
 * reset the suite-wide secret leak check.
 */
public final class LoopbackServers {

	private LoopbackServers() {
	}

	/**
	 * Start an application on {@code 127.0.0.1} and a random port.
	 * @param configuration the application's configuration class
	 * @param properties more properties, {@code name=value}
	 * @return the running application
	 */
	public static ConfigurableApplicationContext start(Class<?> configuration, String... properties) {
		List<String> all = new ArrayList<>(List.of("server.address=127.0.0.1", "server.port=0",
				"server.servlet.register-default-servlet=true", "spring.main.banner-mode=off"));
		all.addAll(List.of(properties));
		String loggingSystem = System.getProperty(LoggingSystem.SYSTEM_PROPERTY);
		System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
		try {
			return new SpringApplicationBuilder(configuration).web(WebApplicationType.SERVLET)
				.properties(all.toArray(String[]::new))
				.run();
		}
		finally {
			if (loggingSystem == null) {
				System.clearProperty(LoggingSystem.SYSTEM_PROPERTY);
			}
			else {
				System.setProperty(LoggingSystem.SYSTEM_PROPERTY, loggingSystem);
			}
		}
	}

	/**
	 * Return the signing key of a test authorization server: a new RSA key with a random
	 * key id.
	 * @return the key, as a JWK source
	 */
	public static JWKSource<SecurityContext> rsaJwkSource() {
		KeyPair keyPair = TestCertificates.rsa();
		return new ImmutableJWKSet<>(new JWKSet(new RSAKey.Builder((RSAPublicKey) keyPair.getPublic())
			.privateKey((RSAPrivateKey) keyPair.getPrivate())
			.keyID(UUID.randomUUID().toString())
			.build()));
	}

	/**
	 * Register a filter ahead of Spring Security, whose token endpoint answers without
	 * calling the rest of the chain.
	 * @param <F> the filter type
	 * @param filter the filter
	 * @param urlPatterns the paths it sees
	 * @return the registration
	 */
	public static <F extends Filter> FilterRegistrationBean<F> ahead(F filter, String... urlPatterns) {
		FilterRegistrationBean<F> registration = new FilterRegistrationBean<>(filter);
		registration.addUrlPatterns(urlPatterns);
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		return registration;
	}

	/**
	 * Return the base URI of an application started here.
	 * @param application the application
	 * @return {@code http://127.0.0.1:<port>}
	 */
	public static String baseUri(ConfigurableApplicationContext application) {
		return "http://127.0.0.1:" + ((WebServerApplicationContext) application).getWebServer().getPort();
	}

}
