package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.dexpace.tokencache.actuate.RedisTokenCacheHealthIndicator;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.EntryDescriptor;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.TokenCacheDescriptor;
import dev.dexpace.tokencache.autoconfigure.TokenCacheHealthAutoConfiguration;
import dev.dexpace.tokencache.metrics.RedisTokenCacheMeterBinder;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health, metrics and the endpoint of the Redis cache, on a real {@code redis-server}
 * process that is killed and started again, for a non-reactive application with
 * {@code RestClient} and a WebFlux application with {@code WebClient} alike: each shows
 * the cache that serves its calls (the blocking or the reactive one), never an idle one.
 */
class RedisObservabilityIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RedisProcess redis = RedisProcess.launch();

	@AfterEach
	void close() {
		this.redis.close();
		this.idp.close();
	}

	private Facade.Runner runner(Facade facade) {
		return RedisContexts.runner(facade, this.idp, this.redis.port())
			.withObservability()
			.withConfiguration(AutoConfigurations.of(TokenCacheHealthAutoConfiguration.class));
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void metricsHealthAndEndpointShowTheCacheThatServesTheCalls(Facade facade) {
		runner(facade)
			.withPropertyValues("dexpace.token-cache.redis.timeout=2s", "dexpace.token-cache.redis.failure-threshold=1",
					"dexpace.token-cache.redis.open-duration=1h")
			.run((context) -> {
				// A reactive application has a blocking cache too (for blocking callers); its
				// calls go through the reactive one.
				assertThat(context.getBeansOfType(ReactiveRedisTokenCache.class))
					.hasSize((facade == Facade.WEB_CLIENT) ? 1 : 0);
				assertThat(context.getBeansOfType(RedisTokenCache.class)).hasSize(1);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				RedisTokenCacheHealthIndicator health = context.getBean(RedisTokenCacheHealthIndicator.class);
				facade.callApi(context, this.idp);
				facade.callApi(context, this.idp);
				assertThat(this.idp.tokenRequests()).as("the second call is served from Redis").isEqualTo(1);
				assertThat(context.getBean(TokenCacheEndpoint.class).tokenCache().entries())
					.extracting(EntryDescriptor::registration)
					.containsExactly("api");
				assertThat(health.health().getStatus()).isEqualTo(Status.UP);

				this.redis.kill();
				facade.callApi(context, this.idp);

				assertThat(this.idp.tokenRequests()).as("a miss while Redis is down").isEqualTo(2);
				assertThat(circuitOpen(registry)).as("the circuit of the cache that served the call").isEqualTo(1);
				assertThat(registry.get("dexpace.token.cache.errors").tag("operation", "get").counter().count())
					.isEqualTo(1);
				Health down = health.health();
				assertThat(down.getStatus()).isEqualTo(Status.DOWN);
				assertThat(down.getDetails()).containsEntry("circuit", "open").containsEntry("failures", 1L);
			});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void healthGoesDownWithRedisAndUpAgainThroughDegraded(Facade facade) {
		runner(facade)
			.withPropertyValues("dexpace.token-cache.redis.timeout=200ms", "dexpace.token-cache.redis.failure-threshold=1",
					"dexpace.token-cache.redis.open-duration=1s")
			.run((context) -> {
				RedisTokenCacheHealthIndicator health = context.getBean(RedisTokenCacheHealthIndicator.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				facade.callApi(context, this.idp);
				assertThat(health.health().getStatus()).isEqualTo(Status.UP);
				assertThat(health.health().getDetails()).containsEntry("circuit", "closed");
				assertThat(circuitOpen(registry)).isZero();

				this.redis.kill();
				await().atMost(Duration.ofSeconds(30))
					.untilAsserted(() -> assertThat(health.health().getStatus()).isEqualTo(Status.DOWN));
				// A cached call fails soft and opens the circuit (threshold 1).
				facade.callApi(context, this.idp);
				assertThat(circuitOpen(registry)).isOne();
				assertThat(registry.get("dexpace.token.cache.errors").tag("operation", "get").counter().count())
					.isOne();
				assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);

				this.redis.start();
				// Redis answers again, but no call has probed it yet: the cache still skips it.
				await().atMost(Duration.ofSeconds(60))
					.untilAsserted(() -> assertThat(health.health().getStatus())
						.isEqualTo(RedisTokenCacheHealthIndicator.DEGRADED));
				assertThat(health.health().getDetails()).containsEntry("circuit", "open");

				await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
					facade.callApi(context, this.idp);
					assertThat(health.health().getStatus()).isEqualTo(Status.UP);
				});
				assertThat(circuitOpen(registry)).isZero();
			});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void endpointListsRedisEntriesWithoutTokenValuesAndItsDeleteForcesANewToken(Facade facade) {
		runner(facade).run((context) -> {
			TokenCacheEndpoint endpoint = context.getBean(TokenCacheEndpoint.class);
			facade.call(context, this.idp, "api");
			facade.call(context, this.idp, "other");

			TokenCacheDescriptor descriptor = endpoint.tokenCache();
			assertThat(descriptor.entries()).extracting(EntryDescriptor::registration).containsExactly("api", "other");
			try (RawRedis raw = new RawRedis(this.redis.port())) {
				assertThat(raw.keys()).contains(
						"dexpace:token-cache:system:api:" + descriptor.entries().get(0).keyDigest(),
						"dexpace:token-cache:system:other:" + descriptor.entries().get(1).keyDigest());
			}
			assertThat(descriptor.entries()).allSatisfy((entry) -> {
				assertThat(entry.kind()).isEqualTo("system");
				assertThat(Duration.parse(entry.remainingLifetime())).isPositive();
			});
			String json = JsonMapper.builder().build().writeValueAsString(descriptor);
			assertThat(this.idp.issuedTokens()).hasSize(2).allSatisfy((token) -> assertThat(json).doesNotContain(token));

			assertThat(endpoint.deleteRegistration("api").deleted()).isOne();
			facade.call(context, this.idp, "api");
			facade.call(context, this.idp, "other");
			assertThat(this.idp.tokenRequests()).isEqualTo(3);
			assertThat(endpoint.deleteAll().deleted()).isEqualTo(2);
			assertThat(endpoint.tokenCache().entries()).isEmpty();
			try (RawRedis raw = new RawRedis(this.redis.port())) {
				assertThat(raw.keys()).noneMatch((key) -> key.startsWith("dexpace:token-cache:system:"));
			}
			facade.call(context, this.idp, "api");
			assertThat(this.idp.tokenRequests()).isEqualTo(4);
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aCorruptValueCountsAsACorruptInvalidation(Facade facade) {
		runner(facade).run((context) -> {
			facade.callApi(context, this.idp);
			try (RawRedis raw = new RawRedis(this.redis.port())) {
				raw.set(raw.keys().get(0), "not a token".getBytes(StandardCharsets.UTF_8));
			}
			facade.callApi(context, this.idp);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("dexpace.token.cache.invalidations")
				.tags("tier", "system", "cause", "corrupt")
				.counter()
				.count()).isOne();
			assertThat(registry.get("dexpace.token.cache.lookups")
				.tags("tier", "system", "result", "miss")
				.counter()
				.count()).isEqualTo(2);
		});
	}

	private static double circuitOpen(MeterRegistry registry) {
		return registry.get(RedisTokenCacheMeterBinder.CIRCUIT_OPEN).gauge().value();
	}

}
