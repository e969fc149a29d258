package dev.dexpace.tokencache.redis;

import dev.dexpace.tokencache.actuate.RedisTokenCacheHealthIndicator;
import dev.dexpace.tokencache.autoconfigure.TokenCacheHealthAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheMetricsAutoConfiguration;
import dev.dexpace.tokencache.metrics.RedisTokenCacheMeterBinder;
import dev.dexpace.tokencache.metrics.TokenCacheMeterBinder;
import dev.dexpace.tokencache.test.ObservabilityContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Observability of the Redis cache: health and circuit metrics appear with
 * {@code type=redis} only, and the start-up line never shows the encryption key.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisObservabilityAutoConfigurationTests {

	private static final String KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";

	private final TestIdentityProvider idp = new TestIdentityProvider();

	// Nothing listens on the port: building the cache must not need a running Redis.
	private final ApplicationContextRunner contextRunner = ObservabilityContexts
		.withObservability(TokenCacheContexts.runner(this.idp))
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
				TokenCacheHealthAutoConfiguration.class, TokenCacheMetricsAutoConfiguration.class))
		.withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + RedisProcess.freePort(),
				"dexpace.token-cache.type=redis");

	@AfterEach
	void close() {
		this.idp.close();
	}

	@Test
	void typeRedisAddsHealthAndCircuitMetrics() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(RedisTokenCacheHealthIndicator.class)
			.hasSingleBean(RedisTokenCacheMeterBinder.class)
			.doesNotHaveBean(TokenCacheMeterBinder.class)
			.hasBean("tokenCacheHealthIndicator"));
	}

	@Test
	void healthIndicatorCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("management.health.tokencache.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(RedisTokenCacheHealthIndicator.class));
	}

	@Test
	void withoutSpringBootHealthThereIsNoHealthIndicator() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(RedisTokenCacheHealthIndicator.class)
				.hasSingleBean(RedisTokenCache.class));
	}

	@Test
	void startUpLineStatesTheRedisSettingsButNeverTheKey(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.redis.encryption-key=" + KEY,
					"dexpace.token-cache.redis.key-prefix=app-1:")
			.run((context) -> {
				assertThat(output).contains("Token cache: type=redis, key-prefix=app-1:, timeout=200ms, "
						+ "failure-threshold=5, open-duration=5s, encryption=on, lock=on (lease 5s), near-cache=off, "
						+ "expiry-buffer=30s");
				assertThat(output.getAll()).doesNotContain(KEY).doesNotContain(KEY.substring(0, 12));
			});
	}

}
