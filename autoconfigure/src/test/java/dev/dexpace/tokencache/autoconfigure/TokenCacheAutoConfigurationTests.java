package dev.dexpace.tokencache.autoconfigure;

import java.time.Instant;
import java.util.concurrent.ExecutorService;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenCacheAuthorizationFailureHandler;
import dev.dexpace.tokencache.support.NoOpTokenCache;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.test.util.ReflectionTestUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link TokenCacheAutoConfiguration}.
 */
class TokenCacheAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
				RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
		.withPropertyValues("spring.security.oauth2.client.registration.api.client-id=app",
				"spring.security.oauth2.client.registration.api.client-secret=secret",
				"spring.security.oauth2.client.registration.api.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.provider.api.token-uri=http://127.0.0.1:9/token");

	@Test
	void defaultsProvideAnInMemoryCacheACachingManagerAndARestClientCustomizer() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(InMemoryTokenCache.class);
			assertThat(context).hasSingleBean(OAuth2AuthorizedClientManager.class);
			assertThat(context.getBean(OAuth2AuthorizedClientManager.class))
				.isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
			assertThat(context).hasSingleBean(TokenCacheClientHttpRequestInterceptor.class);
			assertThat(context).hasSingleBean(TokenCacheAuthorizationFailureHandler.class);
			assertThat(context).hasBean("tokenCacheRestClientCustomizer");
			TokenCacheProperties properties = context.getBean(TokenCacheProperties.class);
			assertThat(properties.getType()).isEqualTo(TokenCacheType.MEMORY);
			assertThat(properties.getFallbackTtl()).hasMinutes(5);
			assertThat(properties.getExpiryBuffer()).hasSeconds(30);
			assertThat(properties.getMaxSystemTokens()).isEqualTo(32);
			assertThat(properties.getMaxUserTokens()).isEqualTo(256);
			assertThat(properties.isRetryOnUnauthorized()).isTrue();
		});
	}

	@Test
	void tokenCacheBacksOffWhenUserDefinesOne() {
		this.contextRunner.withBean("myCache", TokenCache.class, NoOpTokenCache::new).run((context) -> {
			assertThat(context).hasSingleBean(TokenCache.class);
			assertThat(context).doesNotHaveBean(InMemoryTokenCache.class);
			CachingOAuth2AuthorizedClientManager manager = context.getBean(CachingOAuth2AuthorizedClientManager.class);
			assertThat(manager.getCache()).isSameAs(context.getBean("myCache"));
		});
	}

	@Test
	void userManagerIsDecoratedNotReplaced() {
		this.contextRunner.withUserConfiguration(UserManagerConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(OAuth2AuthorizedClientManager.class);
			OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
			assertThat(manager).isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
			assertThat(((CachingOAuth2AuthorizedClientManager) manager).getDelegate())
				.isInstanceOf(AuthorizedClientServiceOAuth2AuthorizedClientManager.class);
		});
	}

	@Test
	void closingTheContextStopsTheBackgroundRefreshThreadsOfTheManager() {
		assertRefresherStoppedOnClose(this.contextRunner);
	}

	@Test
	void closingTheContextStopsTheBackgroundRefreshThreadsOfADecoratedUserManager() {
		assertRefresherStoppedOnClose(this.contextRunner.withUserConfiguration(UserManagerConfiguration.class));
	}

	private static void assertRefresherStoppedOnClose(ApplicationContextRunner runner) {
		ExecutorService[] executors = new ExecutorService[2];
		runner.run((context) -> {
			Object core = ReflectionTestUtils.getField(context.getBean(OAuth2AuthorizedClientManager.class), "core");
			Object refresher = ReflectionTestUtils.getField(core, "refresher");
			executors[0] = (ExecutorService) ReflectionTestUtils.getField(refresher, "executor");
			executors[1] = (ExecutorService) ReflectionTestUtils.getField(refresher, "retries");
			assertThat(executors).noneMatch(ExecutorService::isShutdown);
		});
		assertThat(executors).allMatch(ExecutorService::isShutdown);
	}

	@Test
	void authorizationCodeClientsStayWithSpringSecuritysAuthorizedClientService() {
		this.contextRunner
			.withPropertyValues("spring.security.oauth2.client.registration.login.client-id=app",
					"spring.security.oauth2.client.registration.login.authorization-grant-type=authorization_code",
					"spring.security.oauth2.client.registration.login.redirect-uri=http://localhost/callback",
					"spring.security.oauth2.client.provider.login.authorization-uri=http://127.0.0.1:9/authorize",
					"spring.security.oauth2.client.provider.login.token-uri=http://127.0.0.1:9/token")
			.run((context) -> {
				ClientRegistration login = context.getBean(ClientRegistrationRepository.class)
					.findByRegistrationId("login");
				OAuth2AccessToken accessToken = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "login-token",
						Instant.now(), Instant.now().plusSeconds(600));
				Authentication alice = new TestingAuthenticationToken("alice", null);
				context.getBean(OAuth2AuthorizedClientService.class)
					.saveAuthorizedClient(new OAuth2AuthorizedClient(login, "alice", accessToken), alice);
				OAuth2AuthorizedClient client = context.getBean(OAuth2AuthorizedClientManager.class)
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(alice).build());
				assertThat(client).isNotNull();
				assertThat(client.getAccessToken().getTokenValue()).isEqualTo("login-token");
				assertThat(context.getBean(InMemoryTokenCache.class).size(TokenKind.SYSTEM)).isZero();
			});
	}

	@Test
	void typeNoneSelectsAPassThroughCache() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=none")
			.run((context) -> assertThat(context).hasSingleBean(NoOpTokenCache.class)
				.doesNotHaveBean(InMemoryTokenCache.class));
	}

	@Test
	void disabledStarterContributesNothing() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(TokenCache.class);
			assertThat(context).doesNotHaveBean(CachingOAuth2AuthorizedClientManager.class);
			assertThat(context).doesNotHaveBean(TokenCacheClientHttpRequestInterceptor.class);
		});
	}

	@Test
	void withoutClientRegistrationsThereIsNoManagerButStillACache() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).doesNotHaveBean(ClientRegistrationRepository.class);
				assertThat(context).doesNotHaveBean(OAuth2AuthorizedClientManager.class);
				assertThat(context).hasSingleBean(TokenCache.class);
			});
	}

	@Test
	void withoutRestClientTheManagerStillWorks() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(RestClientCustomizer.class)).run((context) -> {
			assertThat(context).hasSingleBean(CachingOAuth2AuthorizedClientManager.class);
			assertThat(context).doesNotHaveBean(TokenCacheClientHttpRequestInterceptor.class);
		});
	}

	@Test
	void withoutSpringSecurityOAuth2ClientNothingIsConfigured() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(OAuth2AuthorizedClientManager.class))
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCache.class));
	}

	@Test
	void negativeExpiryBufferFailsStartUp() {
		assertInvalid("dexpace.token-cache.expiry-buffer=-1s", "dexpace.token-cache.expiry-buffer");
	}

	@Test
	void negativeFallbackTtlFailsStartUp() {
		assertInvalid("dexpace.token-cache.fallback-ttl=-5m", "dexpace.token-cache.fallback-ttl");
	}

	@Test
	void zeroFallbackTtlFailsStartUp() {
		assertInvalid("dexpace.token-cache.fallback-ttl=0s", "dexpace.token-cache.fallback-ttl");
	}

	@Test
	void zeroMaxSystemTokensFailsStartUp() {
		assertInvalid("dexpace.token-cache.max-system-tokens=0", "dexpace.token-cache.max-system-tokens");
	}

	@Test
	void negativeMaxUserTokensFailsStartUp() {
		assertInvalid("dexpace.token-cache.max-user-tokens=-3", "dexpace.token-cache.max-user-tokens");
	}

	@Test
	void unknownTypeFailsStartUp() {
		assertInvalid("dexpace.token-cache.type=memcached", "dexpace.token-cache.type");
	}

	@Test
	void subjectTokenTypeThatIsNotAUrnFailsStartUp() {
		assertInvalid("dexpace.token-cache.registration.api.subject-token-type=jwt",
				"dexpace.token-cache.registration.api.subject-token-type");
	}

	private void assertInvalid(String property, String name) {
		String value = property.substring(property.indexOf('=') + 1);
		this.contextRunner.withPropertyValues(property).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(messages(context.getStartupFailure())).contains(name).contains(value);
		});
	}

	private static String messages(Throwable failure) {
		StringBuilder messages = new StringBuilder();
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			messages.append(cause.getMessage()).append('\n');
		}
		return messages.toString();
	}

	@Configuration(proxyBeanMethods = false)
	static class UserManagerConfiguration {

		@Bean
		OAuth2AuthorizedClientManager myManager(ClientRegistrationRepository registrations,
				OAuth2AuthorizedClientService service) {
			return new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, service);
		}

	}

}
