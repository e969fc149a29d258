package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the DPoP settings of {@link TokenCacheAutoConfiguration}.
 */
class DPoPAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class, SslAutoConfiguration.class,
				TokenCacheAutoConfiguration.class))
		.withPropertyValues("spring.security.oauth2.client.registration.orders-api.client-id=client",
				"spring.security.oauth2.client.registration.orders-api.client-secret=secret",
				"spring.security.oauth2.client.registration.orders-api.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.orders-api.provider=idp",
				"spring.security.oauth2.client.registration.plain.client-id=client",
				"spring.security.oauth2.client.registration.plain.client-secret=secret",
				"spring.security.oauth2.client.registration.plain.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.plain.provider=idp",
				"spring.security.oauth2.client.provider.idp.token-uri=http://127.0.0.1:1/token");

	@Test
	void noRegistrationUsesDPoPUnlessItIsEnabled() {
		this.contextRunner.run((context) -> assertThat(context.getBean(DPoPRegistrations.class).isEmpty()).isTrue());
	}

	@Test
	void anEnabledRegistrationGetsAKeyAndItsTokenKeysTheThumbprint() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.registration.orders-api.dpop.enabled=true")
			.run((context) -> {
				DPoPRegistrations dpop = context.getBean(DPoPRegistrations.class);
				String thumbprint = dpop.thumbprint("orders-api");
				assertThat(thumbprint).isNotNull().hasSize(43);
				assertThat(dpop.thumbprint("plain")).isNull();
				ClientRegistrationRepository registrations = context.getBean(ClientRegistrationRepository.class);
				Authentication anonymous = new AnonymousAuthenticationToken("k", "anonymous",
						AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));
				TokenKeyResolver resolver = context.getBean(TokenKeyResolver.class);
				assertThat(resolver.resolve(registrations.findByRegistrationId("orders-api"), anonymous).keyThumbprint())
					.isEqualTo(thumbprint);
				assertThat(resolver.resolve(registrations.findByRegistrationId("plain"), anonymous).keyThumbprint())
					.isNull();
			});
	}

	@Test
	void registrationsOfOneInstanceShareTheGeneratedKeyOfAnAlgorithm() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.registration.orders-api.dpop.enabled=true",
					"dexpace.token-cache.registration.plain.dpop.enabled=true")
			.run((context) -> {
				DPoPRegistrations dpop = context.getBean(DPoPRegistrations.class);
				assertThat(dpop.thumbprint("orders-api")).isEqualTo(dpop.thumbprint("plain"));
			});
	}

	@Test
	void eddsaFailsStartUpNamingThePropertyAndWhyItIsNotSupported() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.registration.orders-api.dpop.enabled=true",
					"dexpace.token-cache.registration.orders-api.dpop.algorithm=EdDSA")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.orders-api.dpop.algorithm")
				.hasMessageContaining("Google Tink")
				.hasMessageContaining("ES256"));
	}

	@Test
	void anAlgorithmTheStarterCannotSignWithFailsStartUpNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.registration.orders-api.dpop.enabled=true",
					"dexpace.token-cache.registration.orders-api.dpop.algorithm=HS256")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.orders-api.dpop.algorithm")
				.hasMessageContaining("ES256"));
	}

	@Test
	void anSslBundleThatDoesNotExistFailsStartUpNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.registration.orders-api.dpop.enabled=true",
					"dexpace.token-cache.registration.orders-api.dpop.ssl-bundle=missing")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.orders-api.dpop.ssl-bundle")
				.hasMessageContaining("names no SSL bundle"));
	}

}
