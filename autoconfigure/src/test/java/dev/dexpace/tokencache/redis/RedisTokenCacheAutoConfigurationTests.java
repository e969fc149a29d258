package dev.dexpace.tokencache.redis;

import java.time.Duration;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.support.NoOpTokenCache;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Auto-configuration of the Redis token cache: selection by type, back-off, and start-up
 * failures that name the property at fault.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisTokenCacheAutoConfigurationTests {

	private static final String KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";

	private final TestIdentityProvider idp = new TestIdentityProvider();

	// Nothing listens on the port: building the cache must not need a running Redis.
	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp)
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
		.withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + RedisProcess.freePort());

	@AfterEach
	void close() {
		this.idp.close();
	}

	@Test
	void typeRedisUsesTheApplicationsRedisConnection() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.key-prefix=app-1:")
			.run((context) -> {
				assertThat(context).hasSingleBean(TokenCache.class).hasSingleBean(RedisTokenCache.class);
				assertThat(context.getBean(RedisTokenCache.class))
					.hasToString("RedisTokenCache[prefix=app-1:, encrypted=false, nearCache=false]");
			});
	}

	@Test
	void anEncryptionKeyTurnsOnSealingAndIsNeverShown() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.encryption-key=" + KEY)
			.run((context) -> assertThat(context.getBean(RedisTokenCache.class).toString()).contains("encrypted=true")
				.doesNotContain(KEY));
	}

	@Test
	void typeMemoryIgnoresRedisOnTheClasspath() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(InMemoryTokenCache.class)
			.doesNotHaveBean(RedisTokenCache.class));
	}

	@Test
	void theRedisTokenCacheBacksOffWhenTheUserDefinesOne() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=redis")
			.withBean(TokenCache.class, NoOpTokenCache::new)
			.run((context) -> assertThat(context).hasSingleBean(TokenCache.class)
				.doesNotHaveBean(RedisTokenCache.class));
	}

	@Test
	void typeRedisWithoutARedisConnectionFailsNamingTheType() {
		TokenCacheContexts.runner(this.idp)
			.withPropertyValues("dexpace.token-cache.type=redis")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.type")
				.hasMessageContaining("spring.data.redis"));
	}

	@Test
	void typeRedisWithoutSpringDataRedisFailsNamingTheType() {
		TokenCacheContexts.runner(this.idp)
			.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
			.withPropertyValues("dexpace.token-cache.type=redis")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.type")
				.hasMessageContaining("spring-boot-starter-data-redis"));
	}

	@Test
	void anEncryptionKeyOfTheWrongSizeFailsWithoutShowingTheKey() {
		String shortKey = "c2l4dGVlbi1ieXRlcy1rZXk=";
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.encryption-key=" + shortKey)
			.run((context) -> {
				assertThat(context).getFailure()
					.rootCause()
					.hasMessageContaining("dexpace.token-cache.redis.encryption-key")
					.hasMessageContaining("256-bit")
					.hasMessageNotContaining(shortKey);
				assertThat(context.getStartupFailure().toString()).doesNotContain(shortKey);
			});
	}

	@Test
	void theStartUpFailureReportForAWrongEncryptionKeyNamesThePropertyButNotTheKey(CapturedOutput output) {
		String shortKey = "c2l4dGVlbi1ieXRlcy1rZXk=";
		SpringApplication application = new SpringApplication(TokenCacheOnly.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--dexpace.token-cache.type=redis",
				"--dexpace.token-cache.redis.encryption-key=" + shortKey));
		assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
			.contains("dexpace.token-cache.redis.encryption-key")
			.contains("openssl rand -base64 32")
			.doesNotContain(shortKey);
	}

	@Test
	void anEncryptionKeyThatIsNotBase64FailsWithoutShowingTheKey() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.encryption-key=not base64!")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.redis.encryption-key")
				.hasMessageNotContaining("not base64!"));
	}

	@Test
	void aPreviousEncryptionKeyThatIsNotAKeyFailsNamingThePropertyWithoutShowingTheKey(CapturedOutput output) {
		String shortKey = "c2l4dGVlbi1ieXRlcy1rZXk=";
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.encryption-key=" + KEY,
					"dexpace.token-cache.redis.previous-encryption-keys=" + KEY + "," + shortKey)
			.run((context) -> {
				assertThat(context).getFailure()
					.rootCause()
					.hasMessageContaining("dexpace.token-cache.redis.previous-encryption-keys[1]")
					.hasMessageNotContaining(shortKey);
				assertThat(context.getStartupFailure().toString()).doesNotContain(shortKey).doesNotContain(KEY);
			});
		assertThat(output.getAll()).doesNotContain(shortKey).doesNotContain(KEY);
	}

	@Test
	void theStartUpFailureReportForAWrongPreviousEncryptionKeyNamesTheEntryButNotTheKey(CapturedOutput output) {
		String shortKey = "c2l4dGVlbi1ieXRlcy1rZXk=";
		SpringApplication application = new SpringApplication(TokenCacheOnly.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--dexpace.token-cache.type=redis",
				"--dexpace.token-cache.redis.previous-encryption-keys=" + shortKey));
		assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
			.contains("dexpace.token-cache.redis.previous-encryption-keys[0]")
			.contains("remove it from the list")
			.doesNotContain(shortKey);
	}

	@Test
	void previousEncryptionKeysAreReadWithoutEncryptionAndNeverShown(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis",
					"dexpace.token-cache.redis.previous-encryption-keys=" + KEY)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(RedisTokenCache.class).toString()).contains("encrypted=false")
					.doesNotContain(KEY);
			});
		assertThat(output.getAll()).contains("encryption=off (reads 1 previous key)").doesNotContain(KEY);
	}

	@Test
	void aZeroTimeoutFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.timeout=0s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.redis.timeout"));
	}

	@Test
	void aFailureThresholdBelowOneFailsNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.failure-threshold=0")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.redis.failure-threshold"));
	}

	@Test
	void typeRedisMakesTheRedisCacheTheManagersFetchLock() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=redis").run((context) -> {
			CachingOAuth2AuthorizedClientManager manager = context.getBean(CachingOAuth2AuthorizedClientManager.class);
			assertThat(manager).extracting("fetchLock").isSameAs(context.getBean(RedisTokenCache.class));
			assertThat(context.getBean(RedisTokenCache.class).leaseTime()).isEqualTo(Duration.ofSeconds(5));
		});
	}

	@Test
	void theLockCanBeTurnedOffAndItsLeaseSet() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.lock.enabled=false",
					"dexpace.token-cache.redis.lock.lease=750ms")
			.run((context) -> {
				assertThat(context.getBean(CachingOAuth2AuthorizedClientManager.class)).extracting("fetchLock")
					.isNull();
				assertThat(context.getBean(RedisTokenCache.class).leaseTime()).isEqualTo(Duration.ofMillis(750));
			});
	}

	@Test
	void theInMemoryCacheHasNoFetchLock() {
		this.contextRunner.run((context) -> assertThat(context.getBean(CachingOAuth2AuthorizedClientManager.class))
			.extracting("fetchLock")
			.isNull());
	}

	@Test
	void theNearCacheIsOffByDefault() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.type=redis").run((context) -> {
			assertThat(context).doesNotHaveBean(NearCache.class);
			assertThat(context.getBean(RedisTokenCache.class).nearCache()).isNull();
		});
	}

	@Test
	void theNearCacheIsBuiltFromItsPropertiesAndUsedByTheRedisCache() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.near-cache.enabled=true")
			.run((context) -> {
				assertThat(context).hasSingleBean(NearCache.class);
				assertThat(context.getBean(RedisTokenCache.class).nearCache())
					.isSameAs(context.getBean(NearCache.class));
				assertThat(context.getBean(RedisTokenCache.class).toString()).contains("nearCache=true");
			});
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(TokenCacheAutoConfiguration.class)
	static class TokenCacheOnly {

	}

}
