package dev.dexpace.tokencache.autoconfigure;

import java.util.concurrent.ExecutorService;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.http.TokenCacheExchangeFilterFunction;
import dev.dexpace.tokencache.memory.InMemoryReactiveTokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.support.BlockingReactiveTokenCache;
import dev.dexpace.tokencache.support.NoOpReactiveTokenCache;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.test.util.ReflectionTestUtils;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReactiveTokenCacheAutoConfiguration}.
 */
class ReactiveTokenCacheAutoConfigurationTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
				WebClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
				ReactiveTokenCacheAutoConfiguration.class))
		.withPropertyValues("spring.security.oauth2.client.registration.api.client-id=app",
				"spring.security.oauth2.client.registration.api.client-secret=secret",
				"spring.security.oauth2.client.registration.api.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.provider.api.token-uri=http://127.0.0.1:9/token");

	@Test
	void defaultsProvideTheReactiveFaceOfTheInMemoryCacheACachingManagerAndAWebClientCustomizer() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ReactiveTokenCache.class);
			InMemoryReactiveTokenCache reactive = context.getBean(InMemoryReactiveTokenCache.class);
			assertThat(reactive.getStore()).isSameAs(context.getBean(InMemoryTokenCache.class));
			assertThat(context.getBean(ReactiveOAuth2AuthorizedClientManager.class))
				.isInstanceOf(CachingReactiveOAuth2AuthorizedClientManager.class);
			assertThat(context).hasSingleBean(TokenCacheExchangeFilterFunction.class);
			assertThat(context).hasBean("tokenCacheWebClientCustomizer");
			assertThat(context.getBean("tokenCacheWebClientCustomizer")).isInstanceOf(WebClientCustomizer.class);
		});
	}

	@Test
	void bothFacesShareOneStore() {
		this.contextRunner.run((context) -> {
			TokenKey key = TokenKey.system("api", CLIENT, java.util.List.of(), null);
			CachedToken token = new CachedToken("t", "Bearer", java.util.Set.of(), null,
					java.time.Instant.now().plusSeconds(600));
			context.getBean(TokenCache.class).put(key, token);
			assertThat(context.getBean(ReactiveTokenCache.class).get(key).block()).isEqualTo(token);
			context.getBean(ReactiveTokenCache.class).delete(key).block();
			assertThat(context.getBean(TokenCache.class).get(key)).isNull();
		});
	}

	@Test
	void reactiveTokenCacheBacksOffWhenUserDefinesOne() {
		this.contextRunner.withBean("myReactiveCache", ReactiveTokenCache.class, NoOpReactiveTokenCache::new)
			.run((context) -> {
				assertThat(context).hasSingleBean(ReactiveTokenCache.class);
				assertThat(context.getBean(CachingReactiveOAuth2AuthorizedClientManager.class).getCache())
					.isSameAs(context.getBean("myReactiveCache"));
			});
	}

	@Test
	void aUsersBlockingTokenCacheIsServedOffTheEventLoops() {
		TokenCache mine = new MapTokenCache();
		this.contextRunner.withBean("myCache", TokenCache.class, () -> mine).run((context) -> {
			BlockingReactiveTokenCache reactive = context.getBean(BlockingReactiveTokenCache.class);
			assertThat(reactive.getCache()).isSameAs(mine);
		});
	}

	@Test
	void typeNoneSelectsAPassThroughReactiveCache() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=none")
			.run((context) -> assertThat(context.getBean(ReactiveTokenCache.class))
				.isInstanceOf(NoOpReactiveTokenCache.class));
	}

	@Test
	void userManagerIsDecoratedNotReplaced() {
		this.contextRunner.withUserConfiguration(UserManagerConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ReactiveOAuth2AuthorizedClientManager.class);
			ReactiveOAuth2AuthorizedClientManager manager = context.getBean(ReactiveOAuth2AuthorizedClientManager.class);
			assertThat(manager).isInstanceOf(CachingReactiveOAuth2AuthorizedClientManager.class);
			assertThat(((CachingReactiveOAuth2AuthorizedClientManager) manager).getDelegate())
				.isInstanceOf(AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager.class);
			assertThat(context.getBean(TokenCacheExchangeFilterFunction.class)).isNotNull();
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

	private static void assertRefresherStoppedOnClose(ReactiveWebApplicationContextRunner runner) {
		ExecutorService[] executors = new ExecutorService[2];
		runner.run((context) -> {
			Object core = ReflectionTestUtils.getField(context.getBean(ReactiveOAuth2AuthorizedClientManager.class),
					"core");
			Object refresher = ReflectionTestUtils.getField(core, "refresher");
			executors[0] = (ExecutorService) ReflectionTestUtils.getField(refresher, "executor");
			executors[1] = (ExecutorService) ReflectionTestUtils.getField(refresher, "retries");
			assertThat(executors).noneMatch(ExecutorService::isShutdown);
		});
		assertThat(executors).allMatch(ExecutorService::isShutdown);
	}

	@Test
	void exchangeFilterFunctionBacksOffWhenUserDefinesOne() {
		this.contextRunner.withUserConfiguration(UserFilterConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(TokenCacheExchangeFilterFunction.class);
			assertThat(context).hasBean("myFilter");
		});
	}

	@Test
	void withoutWebClientNothingReactiveIsConfigured() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(WebClient.class)).run((context) -> {
			assertThat(context).hasSingleBean(TokenCache.class);
			assertThat(context).doesNotHaveBean(ReactiveTokenCache.class);
			assertThat(context).doesNotHaveBean(CachingReactiveOAuth2AuthorizedClientManager.class);
		});
	}

	@Test
	void withoutBootsWebClientModuleTheManagerStillWorks() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(WebClientCustomizer.class)).run((context) -> {
			assertThat(context).hasSingleBean(CachingReactiveOAuth2AuthorizedClientManager.class);
			assertThat(context).doesNotHaveBean(TokenCacheExchangeFilterFunction.class);
		});
	}

	@Test
	void withoutClientRegistrationsThereIsNoManagerButStillACache() {
		new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
					WebClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).doesNotHaveBean(ReactiveClientRegistrationRepository.class);
				assertThat(context).hasSingleBean(ReactiveTokenCache.class);
				assertThat(context).doesNotHaveBean(ReactiveOAuth2AuthorizedClientManager.class);
				assertThat(context).doesNotHaveBean(TokenCacheExchangeFilterFunction.class);
			});
	}

	@Test
	void disabledStarterContributesNothing() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(ReactiveTokenCache.class);
			assertThat(context).doesNotHaveBean(CachingReactiveOAuth2AuthorizedClientManager.class);
			assertThat(context).doesNotHaveBean(TokenCacheExchangeFilterFunction.class);
		});
	}

	@Test
	void typeRedisWithoutARedisConnectionFailsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=redis").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("dexpace.token-cache.type");
		});
	}

	/**
	 * A user's own blocking cache, whose I/O the starter cannot know.
	 */
	static final class MapTokenCache implements TokenCache {

		private final java.util.Map<TokenKey, CachedToken> tokens = new java.util.concurrent.ConcurrentHashMap<>();

		@Override
		public CachedToken get(TokenKey key) {
			return this.tokens.get(key);
		}

		@Override
		public void put(TokenKey key, CachedToken token) {
			this.tokens.put(key, token);
		}

		@Override
		public void delete(TokenKey key) {
			this.tokens.remove(key);
		}

		@Override
		public void clear() {
			this.tokens.clear();
		}

	}

	@Test
	void withoutSpringDataRedisTheDefaultReactiveCacheIsUnaffected() {
		this.contextRunner
			.withClassLoader(new FilteredClassLoader("org.springframework.data.redis"))
			.run((context) -> assertThat(context.getBean(ReactiveTokenCache.class))
				.isInstanceOf(InMemoryReactiveTokenCache.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserManagerConfiguration {

		@Bean
		ReactiveOAuth2AuthorizedClientManager myManager(ReactiveClientRegistrationRepository registrations,
				ReactiveOAuth2AuthorizedClientService service) {
			return new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(registrations, service);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserFilterConfiguration {

		@Bean
		TokenCacheExchangeFilterFunction myFilter(ReactiveOAuth2AuthorizedClientManager manager) {
			return new TokenCacheExchangeFilterFunction(manager, false);
		}

	}

}
