package dev.dexpace.tokencache.test;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

/**
 * Application contexts for tests: the real auto-configurations of Spring Boot's OAuth2
 * client and RestClient plus ours, with client registrations pointing at a
 * {@link TestIdentityProvider}.
 */
public final class TokenCacheContexts {

	private TokenCacheContexts() {
	}

	/**
	 * A non-web context runner with a client_credentials registration {@code api} and a
	 * token-exchange registration {@code exchange}, both on the given identity provider.
	 * @param idp the identity provider
	 * @return the runner
	 */
	public static ApplicationContextRunner runner(TestIdentityProvider idp) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.withPropertyValues(registrationProperties(idp));
	}

	/**
	 * The client registration properties of {@link #runner(TestIdentityProvider)}.
	 * @param idp the identity provider
	 * @return the properties
	 */
	public static String[] registrationProperties(TestIdentityProvider idp) {
		return new String[] { "spring.security.oauth2.client.registration.api.client-id=app",
				"spring.security.oauth2.client.registration.api.client-secret=app-secret",
				"spring.security.oauth2.client.registration.api.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.api.scope=api.read,api.write",
				"spring.security.oauth2.client.registration.api.provider=idp",
				"spring.security.oauth2.client.registration.exchange.client-id=app",
				"spring.security.oauth2.client.registration.exchange.client-secret=app-secret",
				"spring.security.oauth2.client.registration.exchange.authorization-grant-type=urn:ietf:params:oauth:grant-type:token-exchange",
				"spring.security.oauth2.client.registration.exchange.scope=api.read",
				"spring.security.oauth2.client.registration.exchange.provider=idp",
				"spring.security.oauth2.client.provider.idp.token-uri=" + idp.tokenUri() };
	}

	/**
	 * The client digest of the registrations of {@link #runner(TestIdentityProvider)}:
	 * client {@code app} at the identity provider's token endpoint.
	 * @param idp the identity provider
	 * @return the client digest its keys hold
	 */
	public static String clientDigest(TestIdentityProvider idp) {
		return TokenKey.clientDigest("app", idp.tokenUri());
	}

	/**
	 * A RestClient from the context's auto-configured builder.
	 * @param context the context
	 * @return the RestClient
	 */
	public static RestClient restClient(ApplicationContext context) {
		return context.getBean(RestClient.Builder.class).build();
	}

	/**
	 * Call the identity provider's API through the {@code api} registration.
	 * @param client the RestClient
	 * @param idp the identity provider
	 */
	public static void callApi(RestClient client, TestIdentityProvider idp) {
		client.get()
			.uri(idp.apiUri())
			.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
			.retrieve()
			.toBodilessEntity();
	}

}
