package dev.dexpace.tokencache.sample;

import java.net.http.HttpClient;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.sample.Workload.ScenarioResult;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.web.client.RestClient;

/**
 * Runs the workload through two clients against the same API and authorization server:
 * one built from Spring Boot's {@link RestClient.Builder}, which the token cache
 * customizes, and one wired the way Spring Security documents, with nothing of ours in it.
 * Both start with no token.
 */
final class Comparison {

	private final ObjectProvider<RestClient.Builder> restClientBuilder;

	private final LocalClientRegistrationRepository registrations;

	private final TokenCache tokenCache;

	private final RevokedTokens revokedTokens;

	private final SampleProperties properties;

	private final Environment environment;

	private final Workload workload;

	Comparison(ObjectProvider<RestClient.Builder> restClientBuilder, LocalClientRegistrationRepository registrations,
			TokenCache tokenCache, TokenRequestCounter tokenRequests, RevokedTokens revokedTokens,
			SampleProperties properties, Environment environment) {
		this.restClientBuilder = restClientBuilder;
		this.registrations = registrations;
		this.tokenCache = tokenCache;
		this.revokedTokens = revokedTokens;
		this.properties = properties;
		this.environment = environment;
		this.workload = new Workload(properties, tokenRequests);
	}

	/**
	 * Run the workload through both clients, then, if configured, once more while the API
	 * revokes a token half-way through.
	 * @return the figures of every run
	 */
	ComparisonReport run() {
		ScenarioResult tokenCache = runTokenCache(0);
		ScenarioResult stock = runStock(0);
		ScenarioResult tokenCacheRevoked = null;
		ScenarioResult stockRevoked = null;
		if (this.properties.revocation()) {
			long midRun = Math.max(1, this.properties.calls() / 2);
			tokenCacheRevoked = runTokenCache(midRun);
			stockRevoked = runStock(midRun);
		}
		return new ComparisonReport(this.properties, tokenCache, stock, tokenCacheRevoked, stockRevoked);
	}

	private ScenarioResult runTokenCache(long revokeAtCall) {
		// Our RestClientCustomizer has added the token cache interceptor to this builder.
		RestClient client = this.restClientBuilder.getObject()
			.baseUrl(baseUrl())
			.requestFactory(requestFactory())
			.build();
		this.tokenCache.clear();
		return run(client, revokeAtCall);
	}

	private ScenarioResult runStock(long revokeAtCall) {
		// Created here, not declared as a bean: the token cache decorates every
		// OAuth2AuthorizedClientManager bean, and this one must stay stock.
		AuthorizedClientServiceOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				this.registrations, new InMemoryOAuth2AuthorizedClientService(this.registrations));
		manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
		OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
		interceptor.setPrincipalResolver(new RequestAttributePrincipalResolver());
		RestClient client = RestClient.builder()
			.baseUrl(baseUrl())
			.requestFactory(requestFactory())
			.requestInterceptor(interceptor)
			.build();
		return run(client, revokeAtCall);
	}

	private ScenarioResult run(RestClient client, long revokeAtCall) {
		this.revokedTokens.revokeAtCall(revokeAtCall);
		try {
			return this.workload.run(client);
		}
		finally {
			this.revokedTokens.revokeAtCall(0);
		}
	}

	private String baseUrl() {
		return "http://localhost:" + this.environment.getRequiredProperty("local.server.port");
	}

	/**
	 * The same kind of HTTP client for both sides, so that only the token handling differs.
	 */
	private static JdkClientHttpRequestFactory requestFactory() {
		return new JdkClientHttpRequestFactory(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
	}

}
