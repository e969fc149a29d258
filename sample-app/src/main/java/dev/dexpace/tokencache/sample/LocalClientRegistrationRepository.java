package dev.dexpace.tokencache.sample;

import org.jspecify.annotations.Nullable;

import org.springframework.core.env.Environment;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;

/**
 * The client's one registration, pointing at the embedded authorization server. The
 * server listens on a random port, known only once it has started, so the registration
 * is built on first use rather than from {@code spring.security.oauth2.client.*}
 * properties.
 */
final class LocalClientRegistrationRepository implements ClientRegistrationRepository {

	static final String REGISTRATION_ID = "sample-api";

	private final Environment environment;

	private volatile @Nullable ClientRegistration registration;

	LocalClientRegistrationRepository(Environment environment) {
		this.environment = environment;
	}

	@Override
	public @Nullable ClientRegistration findByRegistrationId(String registrationId) {
		return REGISTRATION_ID.equals(registrationId) ? registration() : null;
	}

	private ClientRegistration registration() {
		ClientRegistration registration = this.registration;
		if (registration == null) {
			synchronized (this) {
				registration = this.registration;
				if (registration == null) {
					registration = build();
					this.registration = registration;
				}
			}
		}
		return registration;
	}

	private ClientRegistration build() {
		// Published by Spring Boot once the web server has started.
		String port = this.environment.getRequiredProperty("local.server.port");
		return ClientRegistration.withRegistrationId(REGISTRATION_ID)
			.clientId(AuthorizationServerConfiguration.CLIENT_ID)
			.clientSecret(AuthorizationServerConfiguration.CLIENT_SECRET)
			.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope(AuthorizationServerConfiguration.SCOPE)
			.tokenUri("http://localhost:" + port + AuthorizationServerConfiguration.TOKEN_PATH)
			.build();
	}

}
