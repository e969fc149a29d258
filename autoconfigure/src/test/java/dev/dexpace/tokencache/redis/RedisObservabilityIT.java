package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.dexpace.tokencache.actuate.RedisTokenCacheHealthIndicator;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.EntryDescriptor;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.TokenCacheDescriptor;
import dev.dexpace.tokencache.autoconfigure.TokenCacheHealthAutoConfiguration;
import dev.dexpace.tokencache.test.ObservabilityContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health, metrics and the endpoint of the Redis cache, on a real {@code redis-server}
 * process that is killed and started again.
 */
class RedisObservabilityIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RedisProcess redis = RedisProcess.launch();

	@AfterEach
	void close() {
		this.redis.close();
		this.idp.close();
	}

	private ApplicationContextRunner runner() {
		return ObservabilityContexts.withObservability(RedisContexts.runner(this.idp, this.redis.port()))
			.withConfiguration(AutoConfigurations.of(TokenCacheHealthAutoConfiguration.class));
	}

	@Test
	void healthGoesDownWithRedisAndUpAgainThroughDegraded() {
		runner().withPropertyValues("dexpace.token-cache.redis.timeout=200ms",
				"dexpace.token-cache.redis.failure-threshold=1", "dexpace.token-cache.redis.open-duration=1s")
			.run((context) -> {
				RedisTokenCacheHealthIndicator health = context.getBean(RedisTokenCacheHealthIndicator.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				RestClient client = TokenCacheContexts.restClient(context);
				ObservabilityContexts.call(client, this.idp, "api");
				assertThat(health.health().getStatus()).isEqualTo(Status.UP);
				assertThat(health.health().getDetails()).containsEntry("circuit", "closed");
				assertThat(circuitOpen(registry)).isZero();

				this.redis.kill();
				await().atMost(Duration.ofSeconds(30))
					.untilAsserted(() -> assertThat(health.health().getStatus()).isEqualTo(Status.DOWN));
				// A cached call fails soft and opens the circuit (threshold 1).
				ObservabilityContexts.call(client, this.idp, "api");
				assertThat(circuitOpen(registry)).isOne();
				assertThat(registry.get("dexpace.token.cache.errors").tag("operation", "get").counter().count())
					.isPositive();
				assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);

				this.redis.start();
				// Redis answers again, but no call has probed it yet: the cache still skips it.
				await().atMost(Duration.ofSeconds(60))
					.untilAsserted(() -> assertThat(health.health().getStatus())
						.isEqualTo(RedisTokenCacheHealthIndicator.DEGRADED));
				assertThat(health.health().getDetails()).containsEntry("circuit", "open");

				await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
					ObservabilityContexts.call(client, this.idp, "api");
					assertThat(health.health().getStatus()).isEqualTo(Status.UP);
				});
				assertThat(circuitOpen(registry)).isZero();
			});
	}

	@Test
	void endpointListsRedisEntriesWithoutTokenValuesAndItsDeleteForcesANewToken() {
		runner().run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			TokenCacheEndpoint endpoint = context.getBean(TokenCacheEndpoint.class);
			RedisTokenCache cache = context.getBean(RedisTokenCache.class);
			ObservabilityContexts.call(client, this.idp, "api");
			ObservabilityContexts.call(client, this.idp, "other");

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
			ObservabilityContexts.call(client, this.idp, "api");
			ObservabilityContexts.call(client, this.idp, "other");
			assertThat(this.idp.tokenRequests()).isEqualTo(3);
			assertThat(endpoint.deleteAll().deleted()).isEqualTo(2);
			assertThat(cache.entries()).isEmpty();
			ObservabilityContexts.call(client, this.idp, "api");
			assertThat(this.idp.tokenRequests()).isEqualTo(4);
		});
	}

	@Test
	void aCorruptValueCountsAsACorruptInvalidation() {
		runner().run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			ObservabilityContexts.call(client, this.idp, "api");
			try (RawRedis raw = new RawRedis(this.redis.port())) {
				raw.set(raw.keys().get(0), "not a token".getBytes(StandardCharsets.UTF_8));
			}
			ObservabilityContexts.call(client, this.idp, "api");
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
		return registry.get("dexpace.token.cache.redis.circuit.open").gauge().value();
	}

}
