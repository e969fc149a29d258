package dev.dexpace.tokencache.redis;

import java.time.Duration;

import dev.dexpace.tokencache.actuate.RedisTokenCacheHealthIndicator;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.EntryDescriptor;
import dev.dexpace.tokencache.autoconfigure.TokenCacheEndpointAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheHealthAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheMetricsAutoConfiguration;
import dev.dexpace.tokencache.metrics.RedisTokenCacheMeterBinder;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A WebFlux application with {@code type=redis} on a real {@code redis-server}: its calls
 * are served by the reactive Redis cache, and metrics, health and the actuator endpoint
 * show that cache, not an idle blocking one.
 */
class ReactiveRedisObservabilityIT {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RedisProcess redis = RedisProcess.launch();

	private final ReactiveWebApplicationContextRunner contextRunner = ReactiveTokenCacheContexts
		.reactiveRunner(this.idp)
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, MetricsAutoConfiguration.class,
				CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
				EndpointAutoConfiguration.class, TokenCacheMetricsAutoConfiguration.class,
				TokenCacheHealthAutoConfiguration.class, TokenCacheEndpointAutoConfiguration.class))
		.withPropertyValues("dexpace.token-cache.type=redis", "spring.data.redis.host=127.0.0.1",
				"spring.data.redis.port=" + this.redis.port(), "management.endpoints.web.exposure.include=tokencache",
				"dexpace.token-cache.redis.timeout=2s", "dexpace.token-cache.redis.failure-threshold=1",
				"dexpace.token-cache.redis.open-duration=1h");

	@AfterEach
	void close() {
		this.idp.close();
		this.redis.close();
	}

	@Test
	void metricsHealthAndEndpointShowTheReactiveCache() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ReactiveRedisTokenCache.class);
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			RedisTokenCacheHealthIndicator health = context.getBean(RedisTokenCacheHealthIndicator.class);
			ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);
			ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).as("the second call is served from Redis").isEqualTo(1);
			assertThat(context.getBean(TokenCacheEndpoint.class).tokenCache().entries())
				.extracting(EntryDescriptor::registration)
				.containsExactly("api");
			assertThat(health.health().getStatus()).isEqualTo(Status.UP);

			this.redis.kill();
			ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);

			assertThat(this.idp.tokenRequests()).as("a miss while Redis is down").isEqualTo(2);
			assertThat(registry.get(RedisTokenCacheMeterBinder.CIRCUIT_OPEN).gauge().value())
				.as("the reactive cache's circuit")
				.isEqualTo(1);
			assertThat(registry.get("dexpace.token.cache.errors").tag("operation", "get").counter().count())
				.isEqualTo(1);
			Health down = health.health();
			assertThat(down.getStatus()).isEqualTo(Status.DOWN);
			assertThat(down.getDetails()).containsEntry("circuit", "open").containsEntry("failures", 1L);
		});
	}

}
