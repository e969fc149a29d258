package dev.dexpace.tokencache.sample;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.sample.ComparisonReport.Lookups;
import dev.dexpace.tokencache.sample.Workload.ScenarioResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
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

	private static final int WARM_UP_USERS = 10;

	private final ObjectProvider<RestClient.Builder> restClientBuilder;

	private final LocalClientRegistrationRepository registrations;

	private final TokenCache tokenCache;

	private final RevokedTokens revokedTokens;

	private final SampleProperties properties;

	private final Environment environment;

	private final Workload workload;

	private final Workload warmUp;

	private final MeterRegistry meterRegistry;

	Comparison(ObjectProvider<RestClient.Builder> restClientBuilder, LocalClientRegistrationRepository registrations,
			TokenCache tokenCache, TokenRequestCounter tokenRequests, RevokedTokens revokedTokens,
			SampleProperties properties, Environment environment, MeterRegistry meterRegistry) {
		this.meterRegistry = meterRegistry;
		this.restClientBuilder = restClientBuilder;
		this.registrations = registrations;
		this.tokenCache = tokenCache;
		this.revokedTokens = revokedTokens;
		this.properties = properties;
		this.environment = environment;
		this.workload = new Workload(properties.calls(), properties.threads(), properties.users(), tokenRequests);
		this.warmUp = new Workload(properties.warmUpCalls(), properties.threads(),
				Math.min(properties.users(), WARM_UP_USERS), tokenRequests);
	}

	/**
	 * Run the workload through both clients, then, if configured, once more while the API
	 * revokes a token half-way through.
	 * @return the figures of every run
	 */
	ComparisonReport run() {
		if (this.properties.warmUpCalls() > 0) {
			// Not counted: every measured run starts again from an empty cache.
			this.warmUp.run(tokenCacheClient());
			this.warmUp.run(stockClient());
		}
		Lookups before = lookups();
		ScenarioResult tokenCache = runTokenCache(0);
		Lookups lookups = lookups().minus(before);
		ScenarioResult stock = runStock(0);
		ScenarioResult tokenCacheRevoked = null;
		ScenarioResult stockRevoked = null;
		if (this.properties.revocation()) {
			long midRun = Math.max(1, this.properties.calls() / 2);
			tokenCacheRevoked = runTokenCache(midRun);
			stockRevoked = runStock(midRun);
		}
		return new ComparisonReport(this.properties, tokenCache, stock, tokenCacheRevoked, stockRevoked, lookups);
	}

	/**
	 * Read the token cache's lookup counters, the same figures /actuator/metrics shows.
	 */
	private Lookups lookups() {
		return new Lookups(sum("hit"), sum("miss"));
	}

	private long sum(String result) {
		return (long) this.meterRegistry.find("dexpace.token.cache.lookups")
			.tag("result", result)
			.counters()
			.stream()
			.mapToDouble(Counter::count)
			.sum();
	}

	private ScenarioResult runTokenCache(long revokeAtCall) {
		RestClient client = tokenCacheClient();
		this.tokenCache.clear();
		return run(client, revokeAtCall);
	}

	private ScenarioResult runStock(long revokeAtCall) {
		return run(stockClient(), revokeAtCall);
	}

	private RestClient tokenCacheClient() {
		// Our RestClientCustomizer has added the token cache interceptor to this builder.
		return this.restClientBuilder.getObject().baseUrl(baseUrl()).requestFactory(requestFactory()).build();
	}

	/**
	 * A client wired as Spring Security documents it, with a manager of its own that
	 * starts with no token.
	 */
	private RestClient stockClient() {
		// Created here, not declared as a bean: the token cache decorates every
		// OAuth2AuthorizedClientManager bean, and this one must stay stock.
		AuthorizedClientServiceOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				this.registrations, new InMemoryOAuth2AuthorizedClientService(this.registrations));
		manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
		OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
		interceptor.setPrincipalResolver(new RequestAttributePrincipalResolver());
		return RestClient.builder()
			.baseUrl(baseUrl())
			.requestFactory(requestFactory())
			.requestInterceptor(interceptor)
			.build();
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
	private static ClientHttpRequestFactory requestFactory() {
		return new SimpleClientHttpRequestFactory();
	}

}
