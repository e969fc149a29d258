package dev.dexpace.tokencache.http;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A {@link RestTemplate} built from Boot's {@link RestTemplateBuilder} and bound to a
 * registration with {@link TokenCacheClientHttpRequestInterceptor#withRegistration(String)}:
 * a real token endpoint and API, Boot's auto-configuration, and ours.
 */
class RestTemplateTokenCacheIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ClientScenarios.Lookups lookups = new ClientScenarios.Lookups();

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp)
		.withConfiguration(AutoConfigurations.of(HttpMessageConvertersAutoConfiguration.class,
				RestTemplateAutoConfiguration.class))
		.withBean(ClientScenarios.Lookups.class, () -> this.lookups);

	@AfterEach
	void stopIdentityProvider() {
		this.idp.close();
	}

	@Test
	void aBoundRestTemplateMakesOneTokenRequestForOneHundredConcurrentCalls() {
		this.contextRunner.run((context) -> {
			RestTemplate restTemplate = boundRestTemplate(context.getBean(RestTemplateBuilder.class),
					context.getBean(TokenCacheClientHttpRequestInterceptor.class));
			ClientScenarios.concurrentCalls("RestTemplate", this.idp, this.lookups,
					() -> restTemplate.getForObject(this.idp.apiUri(), String.class));
		});
	}

	@Test
	void aBoundRestTemplateDeletesARevokedTokenAndRetriesOnce() {
		this.contextRunner.run((context) -> {
			RestTemplate restTemplate = boundRestTemplate(context.getBean(RestTemplateBuilder.class),
					context.getBean(TokenCacheClientHttpRequestInterceptor.class));
			ClientScenarios.revokedToken("RestTemplate", this.idp,
					() -> restTemplate.getForObject(this.idp.apiUri(), String.class));
		});
	}

	@Test
	void anUnboundInterceptorOnARestTemplateSendsNoToken() {
		// A RestTemplate has no request attributes: nothing names a registration, and a
		// token never goes where it was not meant to go.
		this.contextRunner.run((context) -> {
			RestTemplate restTemplate = context.getBean(RestTemplateBuilder.class)
				.additionalInterceptors(context.getBean(TokenCacheClientHttpRequestInterceptor.class))
				.build();
			assertThatExceptionOfType(HttpClientErrorException.Unauthorized.class)
				.isThrownBy(() -> restTemplate.getForObject(this.idp.apiUri(), String.class));
			assertThat(this.idp.tokenRequests()).isZero();
		});
	}

	@Test
	void aBlankRegistrationIsRefused() {
		this.contextRunner.run((context) -> assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> context.getBean(TokenCacheClientHttpRequestInterceptor.class).withRegistration(" ")));
	}

	private static RestTemplate boundRestTemplate(RestTemplateBuilder builder,
			TokenCacheClientHttpRequestInterceptor interceptor) {
		return builder.additionalInterceptors(interceptor.withRegistration("api")).build();
	}

}
