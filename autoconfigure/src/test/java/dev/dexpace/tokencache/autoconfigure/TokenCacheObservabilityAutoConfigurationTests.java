package dev.dexpace.tokencache.autoconfigure;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.actuate.RedisTokenCacheHealthIndicator;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint;
import dev.dexpace.tokencache.metrics.TokenCacheMeterBinder;
import dev.dexpace.tokencache.metrics.TokenCacheMetrics;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;
import dev.dexpace.tokencache.test.ObservabilityContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Auto-configuration of metrics, observations, the endpoint and the start-up line: what
 * appears with which classes and beans, and how listeners reach the cache and manager.
 */
@ExtendWith(OutputCaptureExtension.class)
class TokenCacheObservabilityAutoConfigurationTests {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ApplicationContextRunner contextRunner = ObservabilityContexts
		.withObservability(TokenCacheContexts.runner(this.idp));

	@AfterEach
	void close() {
		this.idp.close();
	}

	@Test
	void withMicrometerAndActuatorEverythingIsConfigured() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(TokenCacheMetrics.class)
				.hasSingleBean(TokenCacheMeterBinder.class)
				.hasSingleBean(TokenRequestObservationRegistrar.class)
				.hasSingleBean(TokenCacheEndpoint.class)
				.doesNotHaveBean(RedisTokenCacheHealthIndicator.class);
			assertThat(context.getBean(MeterRegistry.class).find("dexpace.token.cache.lookups").counters()).hasSize(4);
		});
	}

	@Test
	void withoutAMeterRegistryThereAreNoMetrics() {
		TokenCacheContexts.runner(this.idp)
			.withConfiguration(AutoConfigurations.of(TokenCacheMetricsAutoConfiguration.class,
					TokenCacheObservationAutoConfiguration.class))
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCacheMetrics.class)
				.doesNotHaveBean(TokenRequestObservationRegistrar.class));
	}

	@Test
	void withoutMicrometerOnTheClasspathTheCacheStillWorks() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer")).run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(TokenCacheMetrics.class);
			TokenCacheContexts.callApi(TokenCacheContexts.restClient(context), this.idp);
		});
	}

	@Test
	void withoutActuatorThereIsNoEndpoint() {
		TokenCacheContexts.runner(this.idp)
			.withConfiguration(AutoConfigurations.of(TokenCacheEndpointAutoConfiguration.class))
			.withPropertyValues("management.endpoints.web.exposure.include=tokencache")
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(TokenCacheEndpoint.class));
	}

	@Test
	void aUserListenerIsToldOfLookupsOfADecoratedUserManager() {
		List<String> events = new CopyOnWriteArrayList<>();
		TokenCacheContexts.runner(this.idp)
			.withBean(TokenCacheListener.class, () -> new TokenCacheListener() {

				@Override
				public void lookup(TokenKind kind, boolean hit) {
					events.add(kind + (hit ? " hit" : " miss"));
				}

			})
			.withUserConfiguration(UserManagerConfiguration.class)
			.run((context) -> {
				assertThat(context.getBean(OAuth2AuthorizedClientManager.class))
					.isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
				TokenCacheContexts.callApi(TokenCacheContexts.restClient(context), this.idp);
				TokenCacheContexts.callApi(TokenCacheContexts.restClient(context), this.idp);
				assertThat(events).containsExactly("SYSTEM miss", "SYSTEM hit");
			});
	}

	@Test
	void tokenRequestsOfADecoratedUserManagerAreTimed() {
		this.contextRunner.withUserConfiguration(UserManagerConfiguration.class).run((context) -> {
			TokenCacheContexts.callApi(TokenCacheContexts.restClient(context), this.idp);
			assertThat(context.getBean(MeterRegistry.class)
				.get("dexpace.token.requests")
				.tag("registration", "api")
				.tag("outcome", "success")
				.timer()
				.count()).isOne();
		});
	}

	@Test
	void withAMeterRegistryButNoObservationRegistryTokenRequestsAreStillTimed() {
		TokenCacheContexts.runner(this.idp)
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					TokenCacheMetricsAutoConfiguration.class, TokenCacheObservationAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).doesNotHaveBean(ObservationRegistry.class)
					.hasSingleBean(TokenRequestObservationRegistrar.class);
				TokenCacheContexts.callApi(TokenCacheContexts.restClient(context), this.idp);
				assertThat(context.getBean(MeterRegistry.class).get("dexpace.token.requests").timer().count()).isOne();
			});
	}

	@Test
	void startUpLineStatesTheActiveConfiguration(CapturedOutput output) {
		TokenCacheContexts.runner(this.idp)
			.withPropertyValues("dexpace.token-cache.max-system-tokens=8", "dexpace.token-cache.expiry-buffer=45s")
			.run((context) -> assertThat(output).contains(
					"Token cache: type=memory, max-system-tokens=8, max-user-tokens=256, expiry-buffer=45s, "
							+ "fallback-ttl=5m, refresh-ahead=1m, token-request-timeout=10s, retry-on-unauthorized=true"));
	}

	@Test
	void startUpWarnsThatFollowedRedirectsSendTheTokenOnAndDeleteItOnA401(CapturedOutput output) {
		TokenCacheContexts.runner(this.idp).run((context) -> assertThat(output)
			.contains("HTTP clients follow redirects (spring.http.clients.redirects=follow-when-possible)")
			.contains("set spring.http.clients.redirects=dont-follow"));
	}

	@Test
	void startUpSaysNothingOfRedirectsThatAreNotFollowed(CapturedOutput output) {
		TokenCacheContexts.runner(this.idp)
			.withPropertyValues("spring.http.clients.redirects=DONT_FOLLOW")
			.run((context) -> assertThat(output).contains("Token cache: type=memory")
				.doesNotContain("follow redirects"));
	}

	@Test
	void startUpLineOfTypeNone(CapturedOutput output) {
		TokenCacheContexts.runner(this.idp)
			.withPropertyValues("dexpace.token-cache.type=none")
			.run((context) -> assertThat(output).contains("Token cache: type=none"));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserManagerConfiguration {

		@Bean
		OAuth2AuthorizedClientManager myManager(ClientRegistrationRepository registrations) {
			AuthorizedClientServiceOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
					registrations, new NoStoreOAuth2AuthorizedClientService());
			manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
			return manager;
		}

	}

}
