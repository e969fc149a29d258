package dev.dexpace.tokencache.test;

import dev.dexpace.tokencache.autoconfigure.TokenCacheEndpointAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheMetricsAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheObservationAutoConfiguration;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

/**
 * Contexts with Spring Boot's real metrics, observation and endpoint auto-configuration
 * on top of {@link TokenCacheContexts}, plus a second client_credentials registration
 * {@code other}.
 */
public final class ObservabilityContexts {

	/**
	 * Spring Boot's metrics, observation and endpoint auto-configuration, and ours.
	 */
	static final AutoConfigurations OBSERVABILITY_CONFIGURATIONS = AutoConfigurations.of(MetricsAutoConfiguration.class,
			CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
			ObservationAutoConfiguration.class, EndpointAutoConfiguration.class,
			TokenCacheMetricsAutoConfiguration.class, TokenCacheObservationAutoConfiguration.class,
			TokenCacheEndpointAutoConfiguration.class);

	/**
	 * The exposed {@code tokencache} endpoint and the second registration {@code other}.
	 */
	static final String[] OBSERVABILITY_PROPERTIES = { "management.endpoints.web.exposure.include=tokencache",
			"spring.security.oauth2.client.registration.other.client-id=other-app",
			"spring.security.oauth2.client.registration.other.client-secret=other-secret",
			"spring.security.oauth2.client.registration.other.authorization-grant-type=client_credentials",
			"spring.security.oauth2.client.registration.other.scope=other.read",
			"spring.security.oauth2.client.registration.other.provider=idp" };

	private ObservabilityContexts() {
	}

	/**
	 * Add metrics, observations and the exposed {@code tokencache} endpoint to a runner.
	 * @param runner a runner from {@link TokenCacheContexts#runner(TestIdentityProvider)}
	 * @return the runner
	 */
	public static ApplicationContextRunner withObservability(ApplicationContextRunner runner) {
		return runner
			.withConfiguration(OBSERVABILITY_CONFIGURATIONS)
			.withPropertyValues(OBSERVABILITY_PROPERTIES);
	}

	/**
	 * Call the identity provider's API through a registration.
	 * @param client the RestClient
	 * @param idp the identity provider
	 * @param registrationId the registration
	 */
	public static void call(RestClient client, TestIdentityProvider idp, String registrationId) {
		client.get()
			.uri(idp.apiUri())
			.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId(registrationId))
			.retrieve()
			.toBodilessEntity();
	}

}
