package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The near cache across a Redis restart mid-run: no call fails, the subscriptions come
 * back by themselves, and afterwards hits send no Redis command and a delete on one
 * instance reaches the near cache of another again.
 */
class RedisNearCacheOutageIT {

	private static final Duration WAIT = Duration.ofSeconds(60);

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final TokenKey apiKey = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			List.of("api.read", "api.write"), null);

	private final RedisProcess redis = RedisProcess.launch();

	@AfterEach
	void close() {
		this.redis.close();
		this.idp.close();
	}

	@Test
	void aRedisRestartFailsNoCallAndTheNearCacheHearsInvalidationsAgainAfterwards() {
		ApplicationContextRunner runner = RedisContexts.runner(this.idp, this.redis.port())
			.withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=true",
					"dexpace.token-cache.redis.timeout=200ms", "dexpace.token-cache.redis.failure-threshold=3",
					"dexpace.token-cache.redis.open-duration=300ms");
		runner.run((a) -> runner.run((b) -> {
			NearCache nearA = RedisNearCacheIT.nearCache(a);
			RestClient client = TokenCacheContexts.restClient(a);
			try (RawRedis raw = new RawRedis(this.redis.port())) {
				awaitSubscribers(raw, 2);
				RedisContexts.callApi(client, this.idp);
				assertThat(nearA.size()).isOne();
			}

			this.redis.kill();
			for (int i = 0; i < 20; i++) {
				RedisContexts.callApi(client, this.idp);
			}

			this.redis.start();
			try (RawRedis raw = new RawRedis(this.redis.port())) {
				// Lettuce reconnects both subscriptions by itself.
				awaitSubscribers(raw, 2);
				// Once the circuit lets calls through again, a token lands in Redis and in the
				// near cache; from then on hits send no Redis command.
				await().atMost(WAIT).untilAsserted(() -> {
					RedisContexts.callApi(client, this.idp);
					assertThat(raw.keys()).isNotEmpty();
					assertThat(nearA.size()).isOne();
				});
				raw.commands().configResetstat();
				for (int i = 0; i < 50; i++) {
					RedisContexts.callApi(client, this.idp);
				}
				assertThat(Fleet.commandStats(raw)).doesNotContainKey("get");

				// Another instance's delete reaches this near cache again, and the next call
				// goes to Redis.
				CountDownLatch invalidated = new CountDownLatch(1);
				nearA.onInvalidation(invalidated::countDown);
				b.getBean(RedisTokenCache.class).delete(this.apiKey);
				assertThat(invalidated.await(10, TimeUnit.SECONDS)).isTrue();
				assertThat(nearA.size()).isZero();
				raw.commands().configResetstat();
				RedisContexts.callApi(client, this.idp);
				assertThat(Fleet.commandStats(raw)).containsKey("get");
			}
		}));
	}

	private static void awaitSubscribers(RawRedis raw, int subscribers) {
		byte[] channel = RawRedis.bytes(RedisTokenCache.DEFAULT_KEY_PREFIX + "invalidate");
		await().atMost(WAIT)
			.until(() -> raw.commands().pubsubNumsub(channel).values().iterator().next() >= subscribers);
	}

}
