package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
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

	@Test
	void anInvalidationPublishedWhileTheSubscriptionIsDownIsNotMissed() throws Exception {
		NearCache nearA = new NearCache(16, Duration.ofMinutes(10));
		try (TcpProxy network = new TcpProxy(this.redis.port()); RedisCaches caches = new RedisCaches(this.redis.port());
				RawRedis raw = new RawRedis(this.redis.port())) {
			// Instance A reaches Redis through a network that can be cut; B reaches it directly.
			LettuceConnectionFactory factoryA = new LettuceConnectionFactory(
					new RedisStandaloneConfiguration("127.0.0.1", network.port()));
			factoryA.afterPropertiesSet();
			nearA.subscribe(factoryA, RedisTokenCache.DEFAULT_KEY_PREFIX);
			try (RedisTokenCache a = RedisTokenCache.builder(factoryA)
				.nearCache(nearA)
				.openDuration(Duration.ofMillis(200))
				.build()) {
				RedisTokenCache b = caches.create();
				await().atMost(WAIT).until(nearA::isListening);
				b.put(this.apiKey, token("first"));
				assertThat(a.get(this.apiKey)).extracting(CachedToken::tokenValue).isEqualTo("first");
				assertThat(nearA.size()).isOne();

				network.cut();
				// Redis no longer has A's subscription: the invalidation below reaches nobody.
				await().atMost(WAIT).until(() -> subscribers(raw) == 0);
				b.delete(this.apiKey);
				await().atMost(WAIT)
					.untilAsserted(() -> assertThat(a.get(this.apiKey)).as("A's read of the deleted token").isNull());
				assertThat(nearA.isListening()).isFalse();

				network.restore();
				await().atMost(WAIT).until(nearA::isListening);
				b.put(this.apiKey, token("second"));
				await().atMost(WAIT)
					.untilAsserted(() -> assertThat(a.get(this.apiKey)).extracting(CachedToken::tokenValue).isEqualTo("second"));
				assertThat(nearA.size()).isOne();
				CountDownLatch invalidated = new CountDownLatch(1);
				nearA.onInvalidation(invalidated::countDown);
				b.delete(this.apiKey);
				assertThat(invalidated.await(10, TimeUnit.SECONDS)).isTrue();
				assertThat(nearA.size()).isZero();
			}
			finally {
				nearA.close();
				factoryA.destroy();
			}
		}
	}

	private static CachedToken token(String value) {
		return new CachedToken(value, "Bearer", Set.of("api.read", "api.write"), Instant.now(),
				Instant.now().plus(Duration.ofHours(1)));
	}

	private static void awaitSubscribers(RawRedis raw, int subscribers) {
		await().atMost(WAIT).until(() -> subscribers(raw) >= subscribers);
	}

	private static long subscribers(RawRedis raw) {
		byte[] channel = RawRedis.bytes(RedisTokenCache.DEFAULT_KEY_PREFIX + "invalidate");
		return raw.commands().pubsubNumsub(channel).values().iterator().next();
	}

}
