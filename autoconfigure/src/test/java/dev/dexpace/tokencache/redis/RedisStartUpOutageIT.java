package dev.dexpace.tokencache.redis;

import java.time.Duration;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis is not there when the application starts: the application starts anyway and
 * serves every call by fetching tokens; when Redis arrives, caching resumes without a
 * restart.
 */
class RedisStartUpOutageIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RedisProcess redis = RedisProcess.reserve();

	@AfterEach
	void close() {
		this.redis.close();
		this.idp.close();
	}

	@Test
	void theApplicationStartsWithoutRedisServesCallsAndCachesOnceRedisArrives() {
		RedisContexts.runner(this.idp, this.redis.port())
			.withPropertyValues("dexpace.token-cache.redis.timeout=200ms",
					"dexpace.token-cache.redis.failure-threshold=2", "dexpace.token-cache.redis.open-duration=300ms")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				RestClient client = TokenCacheContexts.restClient(context);
				RedisTokenCache cache = context.getBean(RedisTokenCache.class);
				for (int i = 0; i < 5; i++) {
					RedisContexts.callApi(client, this.idp);
				}
				assertThat(this.idp.tokenRequests()).as("no cache: every call fetches").isEqualTo(5);
				assertThat(cache.failures()).isPositive();

				this.redis.start();
				await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
					RedisContexts.callApi(client, this.idp);
					int tokenRequests = this.idp.tokenRequests();
					RedisContexts.callApi(client, this.idp);
					RedisContexts.callApi(client, this.idp);
					assertThat(this.idp.tokenRequests()).as("calls served from Redis").isEqualTo(tokenRequests);
				});
				try (RawRedis raw = new RawRedis(this.redis.port())) {
					assertThat(raw.keys()).singleElement().asString().startsWith("dexpace:token-cache:system:api:");
				}
			});
	}

	@Test
	void withTheLockAndTheNearCacheOnTheApplicationStartsWithoutRedisAndSubscribesOnceRedisArrives() {
		RedisContexts.runner(this.idp, this.redis.port())
			.withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=true",
					"dexpace.token-cache.redis.failure-threshold=2", "dexpace.token-cache.redis.open-duration=300ms")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				NearCache nearCache = context.getBean(NearCache.class);
				assertThat(nearCache.isListening()).isFalse();
				RestClient client = TokenCacheContexts.restClient(context);
				for (int i = 0; i < 3; i++) {
					RedisContexts.callApi(client, this.idp);
				}
				// Neither the lease nor the near cache holds anything back while Redis is away.
				assertThat(this.idp.tokenRequests()).as("no cache: every call fetches").isEqualTo(3);
				assertThat(nearCache.size()).isZero();

				this.redis.start();
				await().atMost(Duration.ofSeconds(60)).until(nearCache::isListening);
				await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
					RedisContexts.callApi(client, this.idp);
					assertThat(nearCache.size()).isOne();
				});
				try (RawRedis raw = new RawRedis(this.redis.port())) {
					raw.commands().configResetstat();
					int tokenRequests = this.idp.tokenRequests();
					RedisContexts.callApi(client, this.idp);
					RedisContexts.callApi(client, this.idp);
					assertThat(this.idp.tokenRequests()).isEqualTo(tokenRequests);
					assertThat(Fleet.commandStats(raw)).as("Redis commands of cached calls").isEmpty();
				}
			});
	}

}
