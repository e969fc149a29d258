package dev.dexpace.tokencache.http;

import dev.dexpace.tokencache.autoconfigure.TokenCacheFeignAutoConfiguration;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.openfeign.EnableFeignClients;
import org.springframework.cloud.openfeign.FeignAutoConfiguration;
import org.springframework.cloud.openfeign.FeignClient;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Cloud OpenFeign clients with {@code spring.cloud.openfeign.oauth2.enabled}: a real
 * token endpoint and API, Spring Cloud's Feign auto-configuration, and ours.
 */
class FeignTokenCacheIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ClientScenarios.Lookups lookups = new ClientScenarios.Lookups();

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
	void withoutSpringCloudsOAuth2SupportNothingIsAdded() {
		this.contextRunner.withPropertyValues("spring.cloud.openfeign.oauth2.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCacheFeignCapability.class));
	}

	@Test
	void withoutFeignNothingIsAdded() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("feign."))
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCacheFeignCapability.class));
	}

	@FeignClient(name = "api", url = "${idp.url}")
	interface Api {

		@GetMapping("/api")
		String call();

		@GetMapping("/elsewhere")
		String callWith(@RequestHeader("Authorization") String authorization);

	}

	@Configuration(proxyBeanMethods = false)
	@EnableFeignClients(clients = Api.class)
	static class FeignClients {

	}

}
