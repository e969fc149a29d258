package dev.dexpace.tokencache.oauth2;

import java.util.Set;

import dev.dexpace.tokencache.TokenKey;
import org.junit.jupiter.api.Test;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DefaultTokenKeyResolver} with registrations as repositories really hand them out.
 */
class DefaultTokenKeyResolverBadInputTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1:9/token");

	private final DefaultTokenKeyResolver resolver = new DefaultTokenKeyResolver();

	private final Authentication user = new TestingAuthenticationToken("user", null);

	@Test
	void aRegistrationWithoutScopesHasAKeyWithoutScopes() {
		// Spring Boot builds a registration without calling scope() when none is configured;
		// such a registration answers null from getScopes() on Spring Security 7.0, an empty
		// set on 7.1.
		ClientRegistration registration = registration(null);
		assertThat(registration.getScopes()).satisfiesAnyOf((scopes) -> assertThat(scopes).isNull(),
				(scopes) -> assertThat(scopes).isEmpty());
		assertThat(this.resolver.resolve(registration, this.user)).isEqualTo(TokenKey.system("api", CLIENT,
				Set.of(), null));
	}

	@Test
	void aRepositoryThatBuildsANewRegistrationPerLookupDoesNotGrowTheResolver() {
		for (int i = 0; i < 1000; i++) {
			assertThat(this.resolver.resolve(registration("read"), this.user))
				.isEqualTo(TokenKey.system("api", CLIENT, Set.of("read"), null));
		}
		assertThat(this.resolver.registrationCount()).isOne();
	}

	@Test
	void aRegistrationWhoseScopesChangeGetsANewKey() {
		assertThat(this.resolver.resolve(registration("read"), this.user).scopes()).containsExactly("read");
		assertThat(this.resolver.resolve(registration("read", "write"), this.user).scopes())
			.containsExactly("read", "write");
		assertThat(this.resolver.resolve(registration("read"), this.user).scopes()).containsExactly("read");
	}

	private static ClientRegistration registration(String... scopes) {
		ClientRegistration.Builder builder = ClientRegistration.withRegistrationId("api")
			.clientId("app")
			.clientSecret("secret")
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.tokenUri("http://127.0.0.1:9/token");
		if (scopes != null) {
			builder.scope(scopes);
		}
		return builder.build();
	}

}
