package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.endpoint.TokenEndpointClients;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.http.TokenCacheRestClientHttpServiceGroupConfigurer;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.DefaultTokenKeyResolver;
import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;
import dev.dexpace.tokencache.oauth2.TokenCacheAuthorizationFailureHandler;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.JwtBearerOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.TokenExchangeOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.web.client.RestClient;

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
	DefaultTokenKeyResolver tokenKeyResolver() {
		return new DefaultTokenKeyResolver();
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(ClientRegistrationRepository.class)
	static class AuthorizedClientManagerConfiguration {

		@Bean
		@ConditionalOnMissingBean(OAuth2AuthorizedClientManager.class)
		CachingOAuth2AuthorizedClientManager authorizedClientManager(ClientRegistrationRepository registrations,
				TokenCache tokenCache, TokenKeyResolver tokenKeyResolver, TokenLifetimeResolver tokenLifetimeResolver,
				TokenCacheProperties properties, ListableBeanFactory beanFactory,
				ApplicationEventPublisher eventPublisher) {
			Clock clock = Clock.systemUTC();
			RegistrationSettings settings = RegistrationSettings.of(properties.getRegistration(), registrations);
			TokenEndpointClients clients = new TokenEndpointClients(new TokenEndpoint(
					new ExpiryResolvingTokenResponseConverter(tokenLifetimeResolver, clock),
					properties.getTokenRequestTimeout(), settings::subjectTokenType, null));
			TokenExchangeOAuth2AuthorizedClientProvider tokenExchange = new TokenExchangeOAuth2AuthorizedClientProvider();
			tokenExchange.setAccessTokenResponseClient(clients.tokenExchange());
			JwtBearerOAuth2AuthorizedClientProvider jwtBearer = new JwtBearerOAuth2AuthorizedClientProvider();
			jwtBearer.setAccessTokenResponseClient(clients.jwtBearer());
			OAuth2AuthorizedClientProvider provider = OAuth2AuthorizedClientProviderBuilder.builder()
				.clientCredentials((builder) -> builder.accessTokenResponseClient(clients.clientCredentials()))
				.provider(tokenExchange)
				.provider(jwtBearer)
				.build();
			AuthorizedClientServiceOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
					registrations, new NoStoreOAuth2AuthorizedClientService());
			delegate.setAuthorizedClientProvider(provider);
			CachingOAuth2AuthorizedClientManager manager = new CachingOAuth2AuthorizedClientManager(delegate,
					// Logins (authorization_code) and other grants the cache does not key get
					// the manager Spring Security would have registered without this one.
					PassThroughManagers.blocking(beanFactory, registrations, eventPublisher), registrations,
					tokenCache, tokenKeyResolver, tokenLifetimeResolver, clock);
			properties.applyTo(manager, tokenCache);
			return manager;
		}

		@Bean
		static CachingManagerPostProcessor tokenCacheManagerPostProcessor() {
			return new CachingManagerPostProcessor();
		}

		@Bean
		@ConditionalOnMissingBean
		TokenCacheAuthorizationFailureHandler tokenCacheAuthorizationFailureHandler(
				OAuth2AuthorizedClientManager authorizedClientManager) {
			return new TokenCacheAuthorizationFailureHandler((CachingOAuth2AuthorizedClientManager) authorizedClientManager);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ RestClient.class, RestClientCustomizer.class })
	@ConditionalOnBean(ClientRegistrationRepository.class)
	static class RestClientConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TokenCacheClientHttpRequestInterceptor tokenCacheClientHttpRequestInterceptor(
				OAuth2AuthorizedClientManager authorizedClientManager, TokenCacheProperties properties) {
			return new TokenCacheClientHttpRequestInterceptor(authorizedClientManager,
					properties.isRetryOnUnauthorized());
		}

		@Bean
		RestClientCustomizer tokenCacheRestClientCustomizer(TokenCacheClientHttpRequestInterceptor interceptor) {
			return (builder) -> builder.requestInterceptor(interceptor);
		}

		@Bean
		@ConditionalOnMissingBean
		TokenCacheRestClientHttpServiceGroupConfigurer tokenCacheRestClientHttpServiceGroupConfigurer(
				TokenCacheClientHttpRequestInterceptor interceptor) {
			return new TokenCacheRestClientHttpServiceGroupConfigurer(interceptor);
		}

	}

}
