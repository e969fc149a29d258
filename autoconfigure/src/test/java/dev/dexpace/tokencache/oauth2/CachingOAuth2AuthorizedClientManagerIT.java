package dev.dexpace.tokencache.oauth2;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The caching manager with real Spring Security providers against a real token endpoint:
 * decoration of a user's manager, Spring Security's own interceptor with our failure
 * handler, conditional delete and a broken cache backend.
 */
class CachingOAuth2AuthorizedClientManagerIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			Set.of("api.read", "api.write"), null);

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp);

	@AfterEach
	void stopIdp() {
		this.idp.close();
	}

	@Test
	void aDecoratedUserManagerThatKeepsItsOwnCopyNeverResendsARevokedToken() {
		this.contextRunner.withUserConfiguration(StoringUserManager.class).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			callApi(client);
			String first = context.getBean(TokenCache.class).get(this.key).tokenValue();
			this.idp.revoke(first);
			callApi(client);
			callApi(client);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
		});
	}

	@Test
	void springSecuritysInterceptorWithOurFailureHandlerDropsARejectedToken() {
		this.contextRunner.run((context) -> {
			OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(
					context.getBean(OAuth2AuthorizedClientManager.class));
			interceptor.setAuthorizationFailureHandler(context.getBean(TokenCacheAuthorizationFailureHandler.class));
			RestClient client = RestClient.builder().requestInterceptor(interceptor).build();
			callApi(client);
			String first = context.getBean(TokenCache.class).get(this.key).tokenValue();
			this.idp.revoke(first);
			assertThatExceptionOfType(HttpClientErrorException.Unauthorized.class).isThrownBy(() -> callApi(client));
			assertThat(context.getBean(TokenCache.class).get(this.key)).isNull();
			callApi(client);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	@Test
	void aRejectionOfAnAlreadyReplacedTokenLeavesTheNewTokenInPlace() {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			callApi(client);
			TokenCache cache = context.getBean(TokenCache.class);
			CachedToken old = cache.get(this.key);
			// Another caller has meanwhile replaced the token.
			callApi(client);
			CachedToken replacement = new CachedToken(this.idp.issuedTokens().iterator().next() + "-x", "Bearer",
					old.scopes(), Instant.now(), Instant.now().plusSeconds(600));
			cache.put(this.key, replacement);
			this.idp.revoke(old.tokenValue());
			CachingOAuth2AuthorizedClientManager manager = context.getBean(CachingOAuth2AuthorizedClientManager.class);
			manager.invalidate(OAuth2AuthorizeRequest.withClientRegistrationId("api").principal("someone").build(),
					new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, old.tokenValue(), null, null));
			assertThat(cache.get(this.key)).isEqualTo(replacement);
		});
	}

	@Test
	void aBrokenCacheBackendNeverFailsACall() {
		this.contextRunner.withBean(TokenCache.class, BrokenTokenCache::new).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			for (int i = 0; i < 5; i++) {
				callApi(client);
			}
			assertThat(this.idp.apiCalls()).isEqualTo(5);
			assertThat(this.idp.tokenRequests()).isEqualTo(5);
			// Per call: the read, the re-read inside the single flight, the write.
			assertThat(context.getBean(CachingOAuth2AuthorizedClientManager.class).cacheFailures()).isEqualTo(15);
			assertThat(context.getBean(BrokenTokenCache.class).calls.get()).isEqualTo(15);
		});
	}

	private void callApi(RestClient client) {
		TokenCacheContexts.callApi(client, this.idp);
	}

	@Configuration(proxyBeanMethods = false)
	static class StoringUserManager {

		@Bean
		OAuth2AuthorizedClientManager myManager(ClientRegistrationRepository registrations,
				OAuth2AuthorizedClientService service) {
			return new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, service);
		}

	}

	static class BrokenTokenCache implements TokenCache {

		final AtomicInteger calls = new AtomicInteger();

		@Override
		public @Nullable CachedToken get(TokenKey key) {
			this.calls.incrementAndGet();
			throw new IllegalStateException("backend down");
		}

		@Override
		public void put(TokenKey key, CachedToken token) {
			this.calls.incrementAndGet();
			throw new IllegalStateException("backend down");
		}

		@Override
		public void delete(TokenKey key) {
			this.calls.incrementAndGet();
			throw new IllegalStateException("backend down");
		}

		@Override
		public void clear() {
			throw new IllegalStateException("backend down");
		}

	}

}
