package dev.dexpace.tokencache.hardening;

import java.util.Set;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client_credentials registration without {@code scope}, the common case: Spring Boot
 * builds it with no scopes at all ({@code getScopes()} answers {@code null}), which made
 * every call fail with a NullPointerException while deriving the cache key.
 */
class RegistrationWithoutScopeIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void stop() {
		this.idp.close();
	}

	@Test
	void aRegistrationWithoutScopeIsCachedUnderAKeyWithoutScopes() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.withPropertyValues("spring.security.oauth2.client.registration.plain.client-id=app",
					"spring.security.oauth2.client.registration.plain.client-secret=app-secret",
					"spring.security.oauth2.client.registration.plain.authorization-grant-type=client_credentials",
					"spring.security.oauth2.client.registration.plain.provider=idp",
					"spring.security.oauth2.client.provider.idp.token-uri=" + this.idp.tokenUri())
			.run((context) -> {
				RestClient client = context.getBean(RestClient.Builder.class).build();
				for (int i = 0; i < 3; i++) {
					client.get()
						.uri(this.idp.apiUri())
						.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("plain"))
						.retrieve()
						.toBodilessEntity();
				}
				assertThat(this.idp.tokenRequests()).isOne();
				TokenKey key = TokenKey.system("plain", TokenCacheContexts.clientDigest(this.idp), Set.of(), null);
				assertThat(context.getBean(TokenCache.class).get(key)).isNotNull();
			});
	}

}
