package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import org.junit.jupiter.api.Test;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The keys {@link DefaultTokenKeyResolver} gives two applications that share a cache: a
 * registration id reused for another client or another identity provider gets another
 * key, the same client at the same identity provider (the instances of one application)
 * the same key.
 */
class DefaultTokenKeyResolverClientIdentityTests {

	private static final String IDP = "https://idp.example/token";

	private static final String OTHER_IDP = "https://other-idp.example/token";

	private final Authentication anonymous = new TestingAuthenticationToken("user", null);

	private final Authentication user = new TestingAuthenticationToken(
			new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "subject-token", Instant.now(),
					Instant.now().plusSeconds(600)),
			null);

	@Test
	void aRegistrationIdReusedForAnotherClientGetsAnotherSystemKey() {
		assertThat(systemKey("app", IDP)).isNotEqualTo(systemKey("other-app", IDP));
	}

	@Test
	void aRegistrationIdReusedAtAnotherIdentityProviderGetsAnotherSystemKey() {
		assertThat(systemKey("app", IDP)).isNotEqualTo(systemKey("app", OTHER_IDP));
	}

	@Test
	void aRegistrationIdReusedForAnotherClientGetsAnotherUserKeyForTheSameSubject() {
		assertThat(userKey("app", IDP)).isNotEqualTo(userKey("other-app", IDP))
			.isNotEqualTo(userKey("app", OTHER_IDP));
	}

	@Test
	void theSameClientAtTheSameIdentityProviderGetsEqualKeys() {
		assertThat(systemKey("app", IDP)).isEqualTo(systemKey("app", IDP));
		assertThat(userKey("app", IDP)).isEqualTo(userKey("app", IDP));
	}

	@Test
	void anotherApplicationNeitherReadsNorDeletesTheTokenOfARegistrationWithTheSameId() {
		InMemoryTokenCache cache = new InMemoryTokenCache(8, 8, Duration.ofSeconds(30));
		TokenKey first = systemKey("app", IDP);
		TokenKey second = systemKey("other-app", OTHER_IDP);
		CachedToken token = new CachedToken("opaque-first", "Bearer", Set.of("api.read"), Instant.now(),
				Instant.now().plusSeconds(600));
		cache.put(first, token);
		assertThat(cache.get(second)).isNull();
		cache.delete(second, token);
		cache.delete(second);
		assertThat(cache.get(first)).isEqualTo(token);
	}

	@Test
	void aNewInstanceOfAnUnchangedRegistrationKeepsItsKeyAndAChangedClientGetsANewOne() {
		DefaultTokenKeyResolver resolver = new DefaultTokenKeyResolver();
		TokenKey key = resolver.resolve(registration("app", IDP, AuthorizationGrantType.CLIENT_CREDENTIALS),
				this.anonymous);
		assertThat(resolver.resolve(registration("app", IDP, AuthorizationGrantType.CLIENT_CREDENTIALS),
				this.anonymous))
			.isSameAs(key);
		assertThat(resolver.resolve(registration("other-app", IDP, AuthorizationGrantType.CLIENT_CREDENTIALS),
				this.anonymous))
			.isNotEqualTo(key);
		assertThat(resolver.resolve(registration("app", OTHER_IDP, AuthorizationGrantType.CLIENT_CREDENTIALS),
				this.anonymous))
			.isNotEqualTo(key);
	}

	private TokenKey systemKey(String clientId, String tokenUri) {
		// A resolver per call: each application has its own.
		return new DefaultTokenKeyResolver()
			.resolve(registration(clientId, tokenUri, AuthorizationGrantType.CLIENT_CREDENTIALS), this.anonymous);
	}

	private TokenKey userKey(String clientId, String tokenUri) {
		return new DefaultTokenKeyResolver()
			.resolve(registration(clientId, tokenUri, AuthorizationGrantType.TOKEN_EXCHANGE), this.user);
	}

	private static ClientRegistration registration(String clientId, String tokenUri, AuthorizationGrantType grant) {
		return ClientRegistration.withRegistrationId("api")
			.clientId(clientId)
			.clientSecret("secret")
			.authorizationGrantType(grant)
			.scope("api.read")
			.tokenUri(tokenUri)
			.build();
	}

}
