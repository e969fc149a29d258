package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.http.TokenCacheExchangeFilterFunction;
import dev.dexpace.tokencache.http.TokenCacheWebClientHttpServiceGroupConfigurer;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.ReactiveTokenCacheAuthorizationFailureHandler;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Auto-configuration of the reactive token cache, for reactive applications and for
 * servlet applications that use {@link WebClient}: a {@link ReactiveTokenCache} over the
 * same store as the blocking {@link TokenCache}, a
 * {@link ReactiveOAuth2AuthorizedClientManager} that serves tokens from it (or decorates
 * the user's own manager), and a {@link WebClientCustomizer} that puts bearer tokens on
 * {@link WebClient} requests that name a client registration.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = TokenCacheAutoConfiguration.class, afterName = {
		"org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration",
		"org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration",
		"org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
		"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration" })
@ConditionalOnClass({ ReactiveOAuth2AuthorizedClientManager.class, Mono.class, WebClient.class })
@ConditionalOnBooleanProperty(name = TokenCacheProperties.CONFIG_PREFIX + ".enabled", matchIfMissing = true)
@ConditionalOnBean(TokenCache.class)
// Redis first: the other cache configuration backs off when it has registered its cache.
@Import({ ReactiveTokenCacheConfigurations.ReactiveRedisTokenCacheConfiguration.class,
		ReactiveTokenCacheConfigurations.ReactiveTokenCacheConfiguration.class })
public final class ReactiveTokenCacheAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@Conditional(OnClientRegistrations.class)
	static class ReactiveAuthorizedClientManagerConfiguration {

		@Bean
		@ConditionalOnMissingBean(ReactiveOAuth2AuthorizedClientManager.class)
		CachingReactiveOAuth2AuthorizedClientManager reactiveAuthorizedClientManager(ListableBeanFactory beanFactory,
				ReactiveTokenCache tokenCache, TokenKeyResolver tokenKeyResolver,
				TokenLifetimeResolver tokenLifetimeResolver, TokenCacheProperties properties,
				TokenEndpointBackoff tokenEndpointBackoff, DPoPRegistrations dpop) {
			Clock clock = Clock.systemUTC();
			ReactiveClientRegistrationRepository registrations = ReactiveClientRegistrations.of(beanFactory);
			ReactiveOAuth2AuthorizedClientManager delegate = KeyedGrantManagers.reactive(beanFactory, registrations,
					properties, tokenLifetimeResolver, dpop);
			CachingReactiveOAuth2AuthorizedClientManager manager = new CachingReactiveOAuth2AuthorizedClientManager(
					// Logins (authorization_code) and other grants the cache does not key get
					// the manager Spring Security would have registered without this one.
					delegate, PassThroughManagers.reactive(beanFactory, registrations),
					registrations, tokenCache, tokenKeyResolver, tokenLifetimeResolver, clock);
			properties.applyTo(manager, tokenCache, tokenEndpointBackoff);
			return manager;
		}

		@Bean
		static CachingReactiveManagerPostProcessor tokenCacheReactiveManagerPostProcessor() {
			return new CachingReactiveManagerPostProcessor();
		}

		/**
		 * The failure handler of the caching manager, for Spring Security's own WebClient
		 * filter, or none (a null bean) where the application's manager is not one.
		 */
		@Bean
		@ConditionalOnMissingBean
		@Nullable ReactiveTokenCacheAuthorizationFailureHandler reactiveTokenCacheAuthorizationFailureHandler(
				ObjectProvider<ReactiveOAuth2AuthorizedClientManager> reactiveAuthorizedClientManager) {
			return (reactiveAuthorizedClientManager
				.getIfUnique() instanceof CachingReactiveOAuth2AuthorizedClientManager caching)
						? new ReactiveTokenCacheAuthorizationFailureHandler(caching) : null;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebClientCustomizer.class)
	@Conditional(OnClientRegistrations.class)
	static class WebClientConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TokenCacheExchangeFilterFunction tokenCacheExchangeFilterFunction(
				ReactiveOAuth2AuthorizedClientManager reactiveAuthorizedClientManager,
				TokenCacheProperties properties, DPoPRegistrations dpop) {
			return new TokenCacheExchangeFilterFunction(reactiveAuthorizedClientManager,
					properties.isRetryOnUnauthorized(), dpop);
		}

		@Bean
		WebClientCustomizer tokenCacheWebClientCustomizer(TokenCacheExchangeFilterFunction filter) {
			return (builder) -> builder.filter(filter);
		}

		@Bean
		@ConditionalOnMissingBean
		TokenCacheWebClientHttpServiceGroupConfigurer tokenCacheWebClientHttpServiceGroupConfigurer(
				TokenCacheExchangeFilterFunction filter, TokenCacheProperties properties) {
			return new TokenCacheWebClientHttpServiceGroupConfigurer(filter,
					properties.getHttpService().getExcludedGroups());
		}

	}

	/**
	 * Client registrations exist: reactive ones, or blocking ones that a servlet
	 * application's WebClient can use.
	 */
	static final class OnClientRegistrations extends AnyNestedCondition {

		OnClientRegistrations() {
			super(ConfigurationPhase.REGISTER_BEAN);
		}

		@ConditionalOnBean(ReactiveClientRegistrationRepository.class)
		static class Reactive {

		}

		@ConditionalOnBean(ClientRegistrationRepository.class)
		static class Blocking {

		}

	}

}
