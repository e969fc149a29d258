package dev.dexpace.tokencache.http;

import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheFeignAutoConfiguration;
import dev.dexpace.tokencache.dpop.NonceDemandingServer;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.openfeign.EnableFeignClients;
import org.springframework.cloud.openfeign.FeignAutoConfiguration;
import org.springframework.cloud.openfeign.FeignClient;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Cloud OpenFeign clients with {@code spring.cloud.openfeign.oauth2.enabled}: a real
 * token endpoint and API, Spring Cloud's Feign auto-configuration, and ours. For DPoP, an
 * identity provider and API that demand nonces and verify every proof
 * ({@link NonceDemandingServer}).
 */
class FeignTokenCacheIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ClientScenarios.Lookups lookups = new ClientScenarios.Lookups();

	private static final int DPOP_CALLS = 5;

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp)
		.withConfiguration(AutoConfigurations.of(HttpMessageConvertersAutoConfiguration.class,
				FeignAutoConfiguration.class, TokenCacheFeignAutoConfiguration.class))
		.withPropertyValues("spring.cloud.openfeign.oauth2.enabled=true",
				"spring.cloud.openfeign.oauth2.client-registration-id=api", "idp.url=" + this.idp.baseUrl())
		.withBean(ClientScenarios.Lookups.class, () -> this.lookups)
		.withUserConfiguration(FeignClients.class);

	@AfterEach
	void stopIdentityProvider() {
		this.idp.close();
	}

	@Test
	void aFeignClientMakesOneTokenRequestForOneHundredConcurrentCalls() {
		this.contextRunner.run((context) -> {
			Api api = context.getBean(Api.class);
			ClientScenarios.concurrentCalls("Feign", this.idp, this.lookups, api::call);
		});
	}

	@Test
	void aFeignClientDeletesARevokedTokenAndRetriesOnce() {
		this.contextRunner.run((context) -> {
			Api api = context.getBean(Api.class);
			ClientScenarios.revokedToken("Feign", this.idp, api::call);
		});
	}

	@Test
	void aCallThatSetsItsOwnAuthorizationHeaderIsSentAsItIs() {
		this.contextRunner.run((context) -> {
			context.getBean(Api.class).callWith("Basic dXNlcjpwYXNz");
			assertThat(this.idp.tokenRequests()).isZero();
			assertThat(this.lookups.count()).isZero();
		});
	}

	@Test
	void aFeignClientSendsADPoPTokenWithAProofForEachCallAndOneExtraRoundTripForTheNonce() throws Exception {
		try (NonceDemandingServer server = new NonceDemandingServer()) {
			dpopRunner(server).run((context) -> {
				Api api = context.getBean(Api.class);
				for (int i = 0; i < DPOP_CALLS; i++) {
					api.order(i, "{\"order\":" + i + "}");
				}
				assertThat(server.problems()).isEmpty();
				assertThat(server.tokenRequests()).as("token requests: one without the nonce, one with it")
					.isEqualTo(2);
				assertThat(server.apiRequests()).as("API requests: one extra for the nonce").isEqualTo(DPOP_CALLS + 1);
				assertThat(server.apiAccepted()).isEqualTo(DPOP_CALLS);
			});
		}
	}

	@Test
	void aFeignClientDeletesARevokedDPoPTokenAndRetriesOnceWithANewTokenAndProof() throws Exception {
		try (NonceDemandingServer server = new NonceDemandingServer()) {
			dpopRunner(server).run((context) -> {
				Api api = context.getBean(Api.class);
				api.order(0, "{\"order\":0}");
				server.revokeAll();
				api.order(1, "{\"order\":1}");
				assertThat(server.problems()).isEmpty();
				assertThat(server.tokenRequests()).as("token requests: two for the first token, one for the new")
					.isEqualTo(3);
				assertThat(server.apiRequests()).as("API requests: the nonce, the revoked token, its retry")
					.isEqualTo(4);
				assertThat(server.apiAccepted()).isEqualTo(2);
			});
		}
	}

	@Test
	void withoutSpringCloudsOAuth2SupportNothingIsAdded() {
		this.contextRunner.withPropertyValues("spring.cloud.openfeign.oauth2.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCacheFeignCapability.class));
	}

	@Test
	void withoutFeignNothingIsAdded() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("feign."))
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCacheFeignCapability.class));
	}

	private ApplicationContextRunner dpopRunner(NonceDemandingServer server) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					TokenCacheAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class,
					FeignAutoConfiguration.class, TokenCacheFeignAutoConfiguration.class))
			.withPropertyValues("spring.security.oauth2.client.registration.api.client-id=client",
					"spring.security.oauth2.client.registration.api.client-secret=secret",
					"spring.security.oauth2.client.registration.api.authorization-grant-type=client_credentials",
					"spring.security.oauth2.client.registration.api.provider=idp",
					"spring.security.oauth2.client.provider.idp.token-uri=" + server.uri("/token"),
					"dexpace.token-cache.registration.api.dpop.enabled=true", "spring.cloud.openfeign.oauth2.enabled=true",
					"spring.cloud.openfeign.oauth2.client-registration-id=api", "idp.url=" + server.uri(""))
			.withUserConfiguration(FeignClients.class);
	}

	@FeignClient(name = "api", url = "${idp.url}")
	interface Api {

		@GetMapping("/api")
		String call();

		@GetMapping("/elsewhere")
		String callWith(@RequestHeader("Authorization") String authorization);

		@PostMapping("/api/orders")
		String order(@RequestParam("page") int page, @RequestBody String order);

	}

	@Configuration(proxyBeanMethods = false)
	@EnableFeignClients(clients = Api.class)
	static class FeignClients {

	}

}
