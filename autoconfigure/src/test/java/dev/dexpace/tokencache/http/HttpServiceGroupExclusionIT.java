package dev.dexpace.tokencache.http;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.InMemoryReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.ClientAttributes;
import org.springframework.security.oauth2.client.web.client.ClientRegistrationIdProcessor;
import org.springframework.security.oauth2.client.web.client.support.OAuth2RestClientHttpServiceGroupConfigurer;
import org.springframework.security.oauth2.client.web.reactive.function.client.support.OAuth2WebClientHttpServiceGroupConfigurer;
import org.springframework.web.client.support.RestClientHttpServiceGroupConfigurer;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.registry.HttpServiceGroup;
import org.springframework.web.service.registry.HttpServiceProxyRegistry;
import org.springframework.web.service.registry.ImportHttpServices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * HTTP service groups named in {@code dexpace.token-cache.http-service.excluded-groups},
 * beside groups the token cache serves, on {@code RestClient} and {@code WebClient}: a
 * real token endpoint and API, Boot's HTTP service client auto-configuration (which
 * applies the starter's customizers to every group's client), and ours. An excluded group
 * behaves as it would without the starter: Spring Security's own group configurer
 * authorizes it, or nothing does.
 */
@ExtendWith(OutputCaptureExtension.class)
class HttpServiceGroupExclusionIT {

	private static final int CALLS = 10;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ClientScenarios.Lookups lookups = new ClientScenarios.Lookups();

	private final ApplicationContextRunner contextRunner = HttpServiceClientTokenCacheIT
		.httpServiceClientRunner(this.idp)
		.withPropertyValues(baseUrl("served"), baseUrl("stock"), baseUrl("reactive-served"),
				baseUrl("reactive-stock"),
				"dexpace.token-cache.http-service.excluded-groups=stock,reactive-stock")
		.withBean(ClientScenarios.Lookups.class, () -> this.lookups)
		.withUserConfiguration(HttpServices.class);

	@AfterEach
	void stopIdentityProvider() {
		this.idp.close();
	}

	@Test
	void aRestClientGroupExcludedBesideAServedOneIsAuthorizedBySpringSecuritysConfigurerAlone() {
		this.contextRunner.withUserConfiguration(SpringSecurityRestClientConfigurer.class).run((context) -> {
			Api served = client(context, "served", Api.class);
			Api stock = client(context, "stock", Api.class);
			servedAndStock("RestClient", served::call, stock::call);
		});
	}

	@Test
	void aWebClientGroupExcludedBesideAServedOneIsAuthorizedBySpringSecuritysConfigurerAlone() {
		this.contextRunner.withUserConfiguration(SpringSecurityWebClientConfigurer.class).run((context) -> {
			ReactiveApi served = client(context, "reactive-served", ReactiveApi.class);
			ReactiveApi stock = client(context, "reactive-stock", ReactiveApi.class);
			servedAndStock("WebClient", () -> served.call().block(), () -> stock.call().block());
		});
	}

	@Test
	void aRestClientGroupExcludedWithoutAnOAuth2ConfigurerSendsNoAuthorizationHeader() {
		this.contextRunner.run((context) -> {
			client(context, "served", Api.class).call();
			client(context, "stock", Api.class).elsewhere();
			assertThat(this.idp.authorizationsElsewhere()).containsExactly("<none>");
			assertThat(this.idp.tokenRequests()).isOne();
			assertThat(this.lookups.count()).as("the served call's lookup only").isOne();
		});
	}

	@Test
	void aWebClientGroupExcludedWithoutAnOAuth2ConfigurerSendsNoAuthorizationHeader() {
		this.contextRunner.run((context) -> {
			client(context, "reactive-served", ReactiveApi.class).call().block();
			client(context, "reactive-stock", ReactiveApi.class).elsewhere().block();
			assertThat(this.idp.authorizationsElsewhere()).containsExactly("<none>");
			assertThat(this.idp.tokenRequests()).isOne();
			assertThat(this.lookups.count()).as("the served call's lookup only").isOne();
		});
	}

	@Test
	void anExcludedGroupsRequestsCarryNoRegistrationAttributeUnlessTheApplicationRegistersTheProcessor() {
		this.contextRunner.withUserConfiguration(RegistrationAttributes.class).run((context) -> {
			client(context, "served", Api.class).call();
			client(context, "stock", Api.class).elsewhere();
			assertThat(context.getBean(RegistrationAttributes.class).seen).containsExactly("served: api",
					"stock: none");
		});
	}

	@Test
	void aGroupThatIsNotExcludedSendsItsTokenEvenToAHostThatMustNotSeeIt() {
		// The control of the two tests above: @ClientRegistrationId names a registration,
		// so a served group authorizes the call, wherever it goes.
		this.contextRunner.run((context) -> {
			client(context, "served", Api.class).elsewhere();
			client(context, "reactive-served", ReactiveApi.class).elsewhere().block();
			assertThat(this.idp.authorizationsElsewhere()).hasSize(2).allMatch((header) -> header.startsWith("Bearer "));
		});
	}

	@Test
	void excludedGroupsThatTheApplicationHasAreNotWarnedOf(CapturedOutput output) {
		this.contextRunner.run((context) -> assertThat(output).doesNotContain("excluded-groups"));
	}

	@Test
	void anExcludedGroupTheApplicationDoesNotHaveIsNamedInAWarning(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.http-service.excluded-groups=stock,reactive-stock,stok")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).contains("WARN")
					.contains("dexpace.token-cache.http-service.excluded-groups names a group the application "
							+ "does not have: stok");
			});
	}

	/**
	 * {@link #CALLS} calls through the served group, then as many through the stock one,
	 * then the stock group's token revoked.
	 */
	private void servedAndStock(String client, ClientScenarios.Call served, ClientScenarios.Call stock)
			throws Exception {
		for (int i = 0; i < CALLS; i++) {
			served.run();
		}
		assertThat(this.idp.tokenRequests()).as("served: one token request for %d calls", CALLS).isOne();
		assertThat(this.lookups.count()).as("served: one cache lookup per call").isEqualTo(CALLS);
		// Spring Security's reactive token client logs whole token responses at TRACE.
		this.idp.unwatched();
		for (int i = 0; i < CALLS; i++) {
			stock.run();
		}
		assertThat(this.idp.apiCalls()).isEqualTo(2 * CALLS);
		assertThat(this.idp.tokenRequests()).as("stock: Spring Security's manager asks for its own token")
			.isEqualTo(2);
		assertThat(this.lookups.count()).as("stock: no cache lookup").isEqualTo(CALLS);
		this.idp.issuedTokens().forEach(this.idp::revoke);
		// Stock Spring Security: no retry, and the rejected token is sent again.
		assertThatException().isThrownBy(stock::run);
		assertThatException().isThrownBy(stock::run);
		System.out.printf("FIGURES HTTP service client (%s): served group %d calls, stock group %d calls + 2 with "
				+ "a revoked token: %d token requests, %d cache lookups, revoked token sent %d time(s)%n", client,
				CALLS, CALLS, this.idp.tokenRequests(), this.lookups.count(), this.idp.revokedTokensReceived().size());
		assertThat(this.idp.revokedTokensReceived()).hasSize(2).containsOnly(this.idp.revokedTokensReceived().get(0));
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
		assertThat(this.lookups.count()).isEqualTo(CALLS);
	}

	private String baseUrl(String group) {
		return "spring.http.serviceclient." + group + ".base-url=" + this.idp.baseUrl();
	}

	private static <P> P client(ApplicationContext context, String group, Class<P> type) {
		return context.getBean(HttpServiceProxyRegistry.class).getClient(group, type);
	}

	@HttpExchange
	@ClientRegistrationId("api")
	interface Api {

		@GetExchange("/api")
		Map<String, Object> call();

		@GetExchange("/elsewhere")
		Map<String, Object> elsewhere();

	}

	@HttpExchange
	interface ReactiveApi {

		@GetExchange("/api")
		@ClientRegistrationId("api")
		Mono<Map<String, Object>> call();

		@GetExchange("/elsewhere")
		@ClientRegistrationId("api")
		Mono<Map<String, Object>> elsewhere();

	}

	@Configuration(proxyBeanMethods = false)
	@ImportHttpServices(group = "served", types = Api.class)
	@ImportHttpServices(group = "stock", types = Api.class)
	@ImportHttpServices(group = "reactive-served", types = ReactiveApi.class,
			clientType = HttpServiceGroup.ClientType.WEB_CLIENT)
	@ImportHttpServices(group = "reactive-stock", types = ReactiveApi.class,
			clientType = HttpServiceGroup.ClientType.WEB_CLIENT)
	static class HttpServices {

	}

	/**
	 * Records, per group, the registration a request names when it reaches the client:
	 * the attribute {@link ClientRegistrationIdProcessor} sets from
	 * {@code @ClientRegistrationId}.
	 */
	@Configuration(proxyBeanMethods = false)
	static class RegistrationAttributes {

		final List<String> seen = new CopyOnWriteArrayList<>();

		@Bean
		RestClientHttpServiceGroupConfigurer registrationAttributesConfigurer() {
			return (groups) -> groups.forEachClient((group, builder) -> builder
				.requestInterceptor((request, body, execution) -> {
					String id = ClientAttributes.resolveClientRegistrationId(request.getAttributes());
					this.seen.add(group.name() + ": " + ((id != null) ? id : "none"));
					return execution.execute(request, body);
				}));
		}

	}

	/**
	 * Spring Security's configurer as its reference documents it, for every group, with a
	 * manager of its own: not a bean, which the starter would decorate.
	 */
	@Configuration(proxyBeanMethods = false)
	static class SpringSecurityRestClientConfigurer {

		@Bean
		OAuth2RestClientHttpServiceGroupConfigurer securityConfigurer(ClientRegistrationRepository registrations) {
			return OAuth2RestClientHttpServiceGroupConfigurer.from(new AuthorizedClientServiceOAuth2AuthorizedClientManager(
					registrations, new InMemoryOAuth2AuthorizedClientService(registrations)));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SpringSecurityWebClientConfigurer {

		@Bean
		OAuth2WebClientHttpServiceGroupConfigurer securityConfigurer(ClientRegistrationRepository registrations) {
			InMemoryReactiveClientRegistrationRepository reactive = new InMemoryReactiveClientRegistrationRepository(
					registrations.findByRegistrationId("api"));
			return OAuth2WebClientHttpServiceGroupConfigurer.from(new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
					reactive, new InMemoryReactiveOAuth2AuthorizedClientService(reactive)));
		}

	}

}
