package dev.dexpace.tokencache.hardening;

import java.time.Instant;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.SecretLeakDetector;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After real calls that fetched and cached tokens for the application and for a user, no
 * bean of the context, no cached token and no cache key shows a token value or a subject
 * token in its {@code toString()}.
 */
class SecretsInToStringIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void stop() {
		this.idp.close();
	}

	@Test
	void noBeanCachedTokenOrKeyShowsASecret() {
		TokenCacheContexts.runner(this.idp).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			TokenCacheContexts.callApi(client, this.idp);
			String subjectToken = TestIdentityProvider.unsignedJwt(Instant.now().plusSeconds(600));
			Jwt subject = Jwt.withTokenValue(subjectToken).header("alg", "none").subject("alice").build();
			client.get()
				.uri(this.idp.apiUri())
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("exchange"))
				.attributes(RequestAttributePrincipalResolver.principal(new TestingAuthenticationToken(subject, null)))
				.retrieve()
				.toBodilessEntity();
			assertThat(this.idp.issuedTokens()).hasSize(2);

			for (String name : context.getBeanDefinitionNames()) {
				Object bean = context.getBean(name);
				assertThat(SecretLeakDetector.findSecretIn(String.valueOf(bean))).as("toString of bean %s", name)
					.isNull();
			}
			TokenCache cache = context.getBean(TokenCache.class);
			TokenKey userKey = TokenKey.user("exchange", TokenCacheContexts.clientDigest(this.idp),
					subjectToken, java.util.Set.of("api.read"), null);
			CachedToken userToken = cache.get(userKey);
			assertThat(userToken).isNotNull();
			assertThat(this.idp.issuedTokens()).contains(userToken.tokenValue());
			assertThat(SecretLeakDetector.findSecretIn(userToken.toString())).isNull();
			assertThat(SecretLeakDetector.findSecretIn(userKey.toString())).isNull();
			assertThat(userKey.toString()).doesNotContain(subjectToken).doesNotContain("alice");
		});
	}

}
