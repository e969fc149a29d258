package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;
import java.util.function.BiFunction;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.endpoint.ReactiveTokenEndpointClients;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.endpoint.TokenEndpointClients;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;
import dev.dexpace.tokencache.oauth2.NoStoreReactiveOAuth2AuthorizedClientService;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.JwtBearerOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.JwtBearerReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.TokenExchangeOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.TokenExchangeReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;

/**
 * The managers that obtain the tokens of the grants the cache keys (client_credentials,
 * token exchange, jwt-bearer) with the starter's own token clients: the delegate of the
 * auto-configured caching managers, and what background refreshes of a decorated
 * request-bound manager ask. They need no servlet request or web exchange and keep no
 * copy of the tokens.
 */
final class KeyedGrantManagers {

	private KeyedGrantManagers() {
	}

	/**
	 * What both token clients send: expiry resolved from the raw response, the token
	 * request timeout, each registration's {@code subject_token_type}, and the JWT client
	 * assertion of {@code private_key_jwt} and {@code client_secret_jwt}; and how they
	 * connect, each registration with its TLS settings. The registrations the repository
	 * lists are checked first.
	 */
	private static <C> C clients(BeanFactory beanFactory, @Nullable Object repository, TokenCacheProperties properties,
			TokenLifetimeResolver lifetimeResolver, BiFunction<TokenEndpoint, TokenEndpointTransports, C> clients) {
		RegistrationSettings settings = RegistrationSettings.of(properties.getRegistration(), repository);
		TokenEndpointTransports transports = TokenEndpointTransports.of(beanFactory, properties, settings);
		ClientAssertions assertions = new ClientAssertions(transports, settings);
		validate(repository, transports, assertions);
		return clients.apply(new TokenEndpoint(new ExpiryResolvingTokenResponseConverter(lifetimeResolver,
				Clock.systemUTC()), properties.getTokenRequestTimeout(), settings::subjectTokenType,
				assertions.parametersConverter()), transports);
	}

	/**
	 * Check the TLS and client authentication settings of every registration the
	 * repository lists, so that a misconfiguration stops start-up; the registrations of
	 * a repository that does not list them are checked at their first token request.
	 */
	private static void validate(@Nullable Object repository, TokenEndpointTransports transports,
			ClientAssertions assertions) {
		if (repository instanceof Iterable<?> registrations) {
			for (Object registration : registrations) {
				if (registration instanceof ClientRegistration clientRegistration) {
					transports.validate(clientRegistration);
					assertions.validate(clientRegistration);
				}
			}
		}
	}

	static OAuth2AuthorizedClientManager blocking(BeanFactory beanFactory, ClientRegistrationRepository registrations,
			TokenCacheProperties properties, TokenLifetimeResolver lifetimeResolver, DPoPRegistrations dpop) {
		TokenEndpointClients clients = clients(beanFactory, registrations, properties, lifetimeResolver,
				(endpoint, transports) -> new TokenEndpointClients(endpoint, transports::requestFactory, dpop));
		TokenExchangeOAuth2AuthorizedClientProvider tokenExchange = new TokenExchangeOAuth2AuthorizedClientProvider();
		tokenExchange.setAccessTokenResponseClient(clients.tokenExchange());
		JwtBearerOAuth2AuthorizedClientProvider jwtBearer = new JwtBearerOAuth2AuthorizedClientProvider();
		jwtBearer.setAccessTokenResponseClient(clients.jwtBearer());
		OAuth2AuthorizedClientProvider provider = OAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder.accessTokenResponseClient(clients.clientCredentials()))
			.provider(tokenExchange)
			.provider(jwtBearer)
			.build();
		AuthorizedClientServiceOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				registrations, new NoStoreOAuth2AuthorizedClientService());
		manager.setAuthorizedClientProvider(provider);
		return manager;
	}

	static ReactiveOAuth2AuthorizedClientManager reactive(ListableBeanFactory beanFactory,
			ReactiveClientRegistrationRepository registrations, TokenCacheProperties properties,
			TokenLifetimeResolver lifetimeResolver, DPoPRegistrations dpop) {
		ReactiveTokenEndpointClients clients = clients(beanFactory, ReactiveClientRegistrations.source(beanFactory),
				properties, lifetimeResolver,
				(endpoint, transports) -> new ReactiveTokenEndpointClients(endpoint, transports::connector, dpop));
		TokenExchangeReactiveOAuth2AuthorizedClientProvider tokenExchange = new TokenExchangeReactiveOAuth2AuthorizedClientProvider();
		tokenExchange.setAccessTokenResponseClient(clients.tokenExchange());
		JwtBearerReactiveOAuth2AuthorizedClientProvider jwtBearer = new JwtBearerReactiveOAuth2AuthorizedClientProvider();
		jwtBearer.setAccessTokenResponseClient(clients.jwtBearer());
		ReactiveOAuth2AuthorizedClientProvider provider = ReactiveOAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder.accessTokenResponseClient(clients.clientCredentials()))
			.provider(tokenExchange)
			.provider(jwtBearer)
			.build();
		AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
				registrations, new NoStoreReactiveOAuth2AuthorizedClientService());
		manager.setAuthorizedClientProvider(provider);
		return manager;
	}

}
