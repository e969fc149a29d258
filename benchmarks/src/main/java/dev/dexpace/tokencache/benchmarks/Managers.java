package dev.dexpace.tokencache.benchmarks;

import java.time.Clock;
import java.time.Duration;

import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.DefaultTokenKeyResolver;
import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.web.client.RestClient;

/**
 * The two sides every benchmark compares, wired the same way against one token endpoint:
 * our caching manager on the in-memory cache, and stock Spring Security's
 * {@link AuthorizedClientServiceOAuth2AuthorizedClientManager} on
 * {@link InMemoryOAuth2AuthorizedClientService}, as its reference documentation shows.
 */
final class Managers {

	static final String REGISTRATION_ID = "api";

	private final InMemoryClientRegistrationRepository registrations;

	Managers(String tokenUri) {
		this.registrations = new InMemoryClientRegistrationRepository(ClientRegistration
			.withRegistrationId(REGISTRATION_ID)
			.clientId("app")
			.clientSecret("app-secret")
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope("api.read")
			.tokenUri(tokenUri)
			.build());
	}

	/**
	 * Our manager.
	 * @param expiryBuffer the expiry buffer of cache and manager
	 * @param refreshAhead the refresh-ahead window, zero for none
	 * @return the manager
	 */
	CachingOAuth2AuthorizedClientManager tokenCache(Duration expiryBuffer, Duration refreshAhead) {
		AuthorizedClientServiceOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				this.registrations, new NoStoreOAuth2AuthorizedClientService());
		delegate.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
		CachingOAuth2AuthorizedClientManager manager = new CachingOAuth2AuthorizedClientManager(delegate,
				this.registrations, new InMemoryTokenCache(32, 256, expiryBuffer), new DefaultTokenKeyResolver(),
				new TokenLifetimeResolver(Duration.ofMinutes(5), Clock.systemUTC()), Clock.systemUTC());
		manager.setExpiryBuffer(expiryBuffer);
		manager.setRefreshAhead(refreshAhead);
		return manager;
	}

	/**
	 * Stock Spring Security.
	 * @param clockSkew how long before expiry the stock provider fetches a new token
	 * @return the manager
	 */
	AuthorizedClientServiceOAuth2AuthorizedClientManager stock(Duration clockSkew) {
		AuthorizedClientServiceOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				this.registrations, new InMemoryOAuth2AuthorizedClientService(this.registrations));
		manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder.clockSkew(clockSkew))
			.build());
		return manager;
	}

	/**
	 * A RestClient with our interceptor.
	 * @param manager our manager
	 * @param requestFactory the HTTP client both sides share
	 * @return the client
	 */
	static RestClient tokenCacheClient(OAuth2AuthorizedClientManager manager,
			JdkClientHttpRequestFactory requestFactory) {
		return RestClient.builder()
			.requestFactory(requestFactory)
			.requestInterceptor(new TokenCacheClientHttpRequestInterceptor(manager, true))
			.build();
	}

	/**
	 * A RestClient with Spring Security's interceptor.
	 * @param manager the stock manager
	 * @param requestFactory the HTTP client both sides share
	 * @return the client
	 */
	static RestClient stockClient(OAuth2AuthorizedClientManager manager, JdkClientHttpRequestFactory requestFactory) {
		return RestClient.builder()
			.requestFactory(requestFactory)
			.requestInterceptor(new OAuth2ClientHttpRequestInterceptor(manager))
			.build();
	}

	/**
	 * Call the API once.
	 * @param client the client
	 * @param apiUri the API address
	 */
	static void call(RestClient client, String apiUri) {
		client.get()
			.uri(apiUri)
			.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId(REGISTRATION_ID))
			.retrieve()
			.toBodilessEntity();
	}

	/**
	 * The request every thread authorizes: one application principal, so that stock
	 * Spring Security, which keys tokens by principal, shares one token too.
	 * @return the request
	 */
	static OAuth2AuthorizeRequest request() {
		return OAuth2AuthorizeRequest.withClientRegistrationId(REGISTRATION_ID).principal("app").build();
	}

}
