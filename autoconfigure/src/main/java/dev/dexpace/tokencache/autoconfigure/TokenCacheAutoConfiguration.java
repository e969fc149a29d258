package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.http.TokenCacheRestClientHttpServiceGroupConfigurer;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.DefaultTokenKeyResolver;
import dev.dexpace.tokencache.oauth2.TokenCacheAuthorizationFailureHandler;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.web.client.RestClient;
import org.springframework.web.service.registry.HttpServiceProxyRegistry;

/**
 * Auto-configuration of the token cache: a {@link TokenCache} chosen by
 * {@code dexpace.token-cache.type}, an {@link OAuth2AuthorizedClientManager} that serves
 * tokens from it (or decorates the user's own manager), a {@link RestClientCustomizer}
 * that puts bearer tokens on {@link RestClient} requests that name a client registration,
 * and an HTTP service group configurer that makes {@code @ClientRegistrationId} name one
 * on HTTP service interfaces.
 *
 * @since 0.1.0
 */
@AutoConfiguration(afterName = {
		"org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration",
		"org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration" })
@ConditionalOnClass(OAuth2AuthorizedClientManager.class)
@ConditionalOnBooleanProperty(name = TokenCacheProperties.CONFIG_PREFIX + ".enabled", matchIfMissing = true)
@EnableConfigurationProperties(TokenCacheProperties.class)
@Import({ TokenCacheConfigurations.MemoryTokenCacheConfiguration.class,
		TokenCacheConfigurations.NoOpTokenCacheConfiguration.class, RedisTokenCacheConfiguration.class,
		RedisTokenCacheUnavailableConfiguration.class, TokenCacheListenerConfiguration.class })
public final class TokenCacheAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	TokenLifetimeResolver tokenLifetimeResolver(TokenCacheProperties properties) {
		return new TokenLifetimeResolver(properties.getFallbackTtl(), Clock.systemUTC());
	}

	@Bean
	@ConditionalOnMissingBean
	DefaultTokenKeyResolver tokenKeyResolver(DPoPRegistrations tokenCacheDPoPRegistrations) {
		return new DefaultTokenKeyResolver(tokenCacheDPoPRegistrations::thumbprint);
	}

	/**
	 * DPoP: which registrations bind their tokens to a key, and the keys (see
	 * {@code docs/dpop.md}).
	 */
	@Bean
	@ConditionalOnMissingBean
	DPoPRegistrations tokenCacheDPoPRegistrations(TokenCacheProperties properties, ListableBeanFactory beanFactory,
			ObjectProvider<SslBundles> sslBundles) {
		return DPoPKeys.registrations(
				RegistrationSettings.of(properties.getRegistration(), ReactiveClientRegistrations.source(beanFactory)),
				sslBundles.getIfAvailable());
	}

	/**
	 * One backoff from failing token endpoints for every caching manager of the
	 * application, blocking and reactive, singleton and request-scoped.
	 */
	@Bean
	@ConditionalOnMissingBean
	TokenEndpointBackoff tokenEndpointBackoff() {
		return new TokenEndpointBackoff(Clock.systemUTC());
	}

	/**
	 * Warns of excluded HTTP service groups the application does not have.
	 */
	@Bean
	ExcludedHttpServiceGroupsCheck tokenCacheExcludedHttpServiceGroupsCheck(TokenCacheProperties properties,
			ObjectProvider<HttpServiceProxyRegistry> registries) {
		return new ExcludedHttpServiceGroupsCheck(properties.getHttpService().getExcludedGroups(), registries);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(ClientRegistrationRepository.class)
	static class AuthorizedClientManagerConfiguration {

		@Bean
		@ConditionalOnMissingBean(OAuth2AuthorizedClientManager.class)
		CachingOAuth2AuthorizedClientManager authorizedClientManager(ClientRegistrationRepository registrations,
				TokenCache tokenCache, TokenKeyResolver tokenKeyResolver, TokenLifetimeResolver tokenLifetimeResolver,
				TokenCacheProperties properties, TokenEndpointBackoff tokenEndpointBackoff,
				ListableBeanFactory beanFactory, ApplicationEventPublisher eventPublisher, DPoPRegistrations dpop) {
			Clock clock = Clock.systemUTC();
			OAuth2AuthorizedClientManager delegate = KeyedGrantManagers.blocking(beanFactory, registrations, properties,
					tokenLifetimeResolver, dpop);
			CachingOAuth2AuthorizedClientManager manager = new CachingOAuth2AuthorizedClientManager(delegate,
					// Logins (authorization_code) and other grants the cache does not key get
					// the manager Spring Security would have registered without this one.
					PassThroughManagers.blocking(beanFactory, registrations, eventPublisher), registrations,
					tokenCache, tokenKeyResolver, tokenLifetimeResolver, clock);
			properties.applyTo(manager, tokenCache, tokenEndpointBackoff);
			return manager;
		}

		@Bean
		static CachingManagerPostProcessor tokenCacheManagerPostProcessor() {
			return new CachingManagerPostProcessor();
		}

		/**
		 * The failure handler of the caching manager, or none (a null bean) where the
		 * application's manager is not one (see {@link DecoratingPostProcessor}).
		 */
		@Bean
		@ConditionalOnMissingBean
		@Nullable TokenCacheAuthorizationFailureHandler tokenCacheAuthorizationFailureHandler(
				ObjectProvider<OAuth2AuthorizedClientManager> authorizedClientManager) {
			return (authorizedClientManager.getIfUnique() instanceof CachingOAuth2AuthorizedClientManager caching)
					? new TokenCacheAuthorizationFailureHandler(caching) : null;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ RestClient.class, RestClientCustomizer.class })
	@ConditionalOnBean(ClientRegistrationRepository.class)
	static class RestClientConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TokenCacheClientHttpRequestInterceptor tokenCacheClientHttpRequestInterceptor(
				OAuth2AuthorizedClientManager authorizedClientManager, TokenCacheProperties properties,
				DPoPRegistrations dpop) {
			return new TokenCacheClientHttpRequestInterceptor(authorizedClientManager,
					properties.isRetryOnUnauthorized(), dpop);
		}

		@Bean
		RestClientCustomizer tokenCacheRestClientCustomizer(TokenCacheClientHttpRequestInterceptor interceptor) {
			return (builder) -> builder.requestInterceptor(interceptor);
		}

		@Bean
		@ConditionalOnMissingBean
		TokenCacheRestClientHttpServiceGroupConfigurer tokenCacheRestClientHttpServiceGroupConfigurer(
				TokenCacheClientHttpRequestInterceptor interceptor, TokenCacheProperties properties) {
			return new TokenCacheRestClientHttpServiceGroupConfigurer(interceptor,
					properties.getHttpService().getExcludedGroups());
		}

	}

}
