package dev.dexpace.tokencache.sample;

import java.util.ArrayList;
import java.util.List;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.sample.ComparisonReport.ClientResult;
import dev.dexpace.tokencache.sample.ComparisonReport.Lookups;
import dev.dexpace.tokencache.sample.Workload.Call;
import dev.dexpace.tokencache.sample.Workload.ScenarioResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServletOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.service.registry.HttpServiceProxyRegistry;

/**
 * Runs the workload through three kinds of client against the same API and authorization
 * server, each twice: served by the token cache ({@link RestClient.Builder} and
 * {@link WebClient.Builder} from Spring Boot, which the starter customizes, and an HTTP
 * service group), and wired the way Spring Security documents it, with nothing of ours
 * in it. Every measured run starts with no token.
 */
final class Comparison {

	static final String REST_CLIENT = "RestClient";

	static final String WEB_CLIENT = "WebClient";

	static final String HTTP_SERVICE_CLIENT = "HTTP service client";

	private static final int WARM_UP_USERS = 10;

	private final ObjectProvider<RestClient.Builder> restClientBuilder;

	private final ObjectProvider<WebClient.Builder> webClientBuilder;

	private final HttpServiceProxyRegistry httpServices;

	private final StockAuthorizedClients stockHttpServiceClients;

	private final LocalClientRegistrationRepository registrations;

	private final TokenCache tokenCache;

	private final RevokedTokens revokedTokens;

	private final SampleProperties properties;

	private final Environment environment;

	private final Workload workload;

	private final Workload warmUp;

	private final MeterRegistry meterRegistry;

	Comparison(ObjectProvider<RestClient.Builder> restClientBuilder,
			ObjectProvider<WebClient.Builder> webClientBuilder, HttpServiceProxyRegistry httpServices,
			StockAuthorizedClients stockHttpServiceClients, LocalClientRegistrationRepository registrations,
			TokenCache tokenCache, TokenRequestCounter tokenRequests, RevokedTokens revokedTokens,
			SampleProperties properties, Environment environment, MeterRegistry meterRegistry) {
		this.restClientBuilder = restClientBuilder;
		this.webClientBuilder = webClientBuilder;
		this.httpServices = httpServices;
		this.stockHttpServiceClients = stockHttpServiceClients;
		this.meterRegistry = meterRegistry;
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
	 * Run the workload through both sides of every kind of client, then, if configured,
	 * once more while the API revokes a token half-way through.
	 * @return the figures of every run
	 */
	ComparisonReport run() {
		List<ClientPair> clients = List.of(restClients(), webClients(), httpServiceClients());
		if (this.properties.warmUpCalls() > 0) {
			// Not counted: every measured run starts again with no token.
			for (ClientPair client : clients) {
				this.warmUp.run(client.tokenCache().get());
				this.warmUp.run(client.stock().get());
			}
		}
		List<ClientResult> results = new ArrayList<>();
		for (ClientPair client : clients) {
			results.add(run(client));
		}
		return new ComparisonReport(this.properties, results);
	}

	private ClientResult run(ClientPair client) {
		Lookups before = lookups();
		ScenarioResult tokenCache = runTokenCache(client, 0);
		Lookups lookups = lookups().minus(before);
		ScenarioResult stock = run(client.stock().get(), 0);
		ScenarioResult tokenCacheRevoked = null;
		ScenarioResult stockRevoked = null;
		if (this.properties.revocation()) {
			long midRun = Math.max(1, this.properties.calls() / 2);
			tokenCacheRevoked = runTokenCache(client, midRun);
			stockRevoked = run(client.stock().get(), midRun);
		}
		return new ClientResult(client.name(), client.stockWiring(), tokenCache, stock, tokenCacheRevoked,
				stockRevoked, lookups);
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

	private ScenarioResult runTokenCache(ClientPair client, long revokeAtCall) {
		Call call = client.tokenCache().get();
		// The blocking and the reactive cache share one store: this empties both.
		this.tokenCache.clear();
		return run(call, revokeAtCall);
	}

	private ScenarioResult run(Call client, long revokeAtCall) {
		this.revokedTokens.revokeAtCall(revokeAtCall);
		try {
			return this.workload.run(client);
		}
		finally {
			this.revokedTokens.revokeAtCall(0);
		}
	}

	private ClientPair restClients() {
		return new ClientPair(REST_CLIENT, OAuth2ClientHttpRequestInterceptor.class.getSimpleName(),
				() -> restCalls(tokenCacheRestClient()), () -> restCalls(stockRestClient()));
	}

	private RestClient tokenCacheRestClient() {
		// The starter's RestClientCustomizer has added its interceptor to this builder.
		return this.restClientBuilder.getObject().baseUrl(baseUrl()).requestFactory(requestFactory()).build();
	}

	/**
	 * A RestClient wired as Spring Security documents it, with a manager of its own that
	 * holds no token yet.
	 */
	private RestClient stockRestClient() {
		OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(
				new StockAuthorizedClients(this.registrations).manager());
		interceptor.setPrincipalResolver(new RequestAttributePrincipalResolver());
		return RestClient.builder()
			.baseUrl(baseUrl())
			.requestFactory(requestFactory())
			.requestInterceptor(interceptor)
			.build();
	}

	private static Call restCalls(RestClient client) {
		return (user) -> client.get()
			.uri("/api/greeting")
			.attributes(RequestAttributeClientRegistrationIdResolver
				.clientRegistrationId(LocalClientRegistrationRepository.REGISTRATION_ID))
			.attributes(RequestAttributePrincipalResolver.principal(user))
			.retrieve()
			.body(String.class);
	}

	private ClientPair webClients() {
		return new ClientPair(WEB_CLIENT, ServletOAuth2AuthorizedClientExchangeFilterFunction.class.getSimpleName(),
				() -> webCalls(tokenCacheWebClient()), () -> webCalls(stockWebClient()));
	}

	private WebClient tokenCacheWebClient() {
		// The starter's WebClientCustomizer has added its filter to this builder.
		return this.webClientBuilder.getObject().baseUrl(baseUrl()).clientConnector(connector()).build();
	}

	/**
	 * A WebClient wired as Spring Security documents it for a servlet application, with a
	 * manager of its own that holds no token yet.
	 */
	private WebClient stockWebClient() {
		ServletOAuth2AuthorizedClientExchangeFilterFunction oauth2 = new ServletOAuth2AuthorizedClientExchangeFilterFunction(
				new StockAuthorizedClients(this.registrations).manager());
		return WebClient.builder()
			.baseUrl(baseUrl())
			.clientConnector(connector())
			.apply(oauth2.oauth2Configuration())
			.build();
	}

	private static Call webCalls(WebClient client) {
		// A servlet application blocks on the response, as RestClient does.
		return (user) -> client.get()
			.uri("/api/greeting")
			.attributes(ServletOAuth2AuthorizedClientExchangeFilterFunction
				.clientRegistrationId(LocalClientRegistrationRepository.REGISTRATION_ID))
			.attributes(ServletOAuth2AuthorizedClientExchangeFilterFunction.authentication(authentication(user)))
			.retrieve()
			.bodyToMono(String.class)
			.block();
	}

	private ClientPair httpServiceClients() {
		return new ClientPair(HTTP_SERVICE_CLIENT, "OAuth2RestClientHttpServiceGroupConfigurer",
				() -> serviceCalls(greetings(HttpServiceConfiguration.TOKEN_CACHE_GROUP)), () -> {
					// One client for all runs, built with the context: forget its tokens instead.
					this.stockHttpServiceClients.forgetTokens(this.properties.users());
					return serviceCalls(greetings(HttpServiceConfiguration.STOCK_GROUP));
				});
	}

	private GreetingService greetings(String group) {
		return this.httpServices.getClient(group, GreetingService.class);
	}

	/**
	 * Calls through an HTTP service client, each for its user as an application serving
	 * that user would make it: with the user in the {@link SecurityContextHolder}.
	 */
	private static Call serviceCalls(GreetingService greetings) {
		return (user) -> {
			SecurityContext context = SecurityContextHolder.createEmptyContext();
			context.setAuthentication(authentication(user));
			SecurityContextHolder.setContext(context);
			try {
				greetings.greeting();
			}
			finally {
				SecurityContextHolder.clearContext();
			}
		};
	}

	private static Authentication authentication(String user) {
		return UsernamePasswordAuthenticationToken.authenticated(user, null, AuthorityUtils.NO_AUTHORITIES);
	}

	private String baseUrl() {
		return "http://localhost:" + this.environment.getRequiredProperty("local.server.port");
	}

	/**
	 * The same kind of HTTP client for both RestClients, so that only the token handling
	 * differs.
	 */
	private static ClientHttpRequestFactory requestFactory() {
		return new SimpleClientHttpRequestFactory();
	}

	/**
	 * The same kind of HTTP client for both WebClients: the JDK's, a new one (with its own
	 * connections) for each client. Reactor Netty's connection pool is shared by every
	 * client, and a connection it had kept idle since the warm-up once hung a stock run
	 * for a minute on a busy machine.
	 */
	private static ClientHttpConnector connector() {
		return new JdkClientHttpConnector();
	}

}
