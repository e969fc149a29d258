package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.autoconfigure.TokenCacheMetricsAutoConfiguration;
import dev.dexpace.tokencache.metrics.RedisTokenCacheMeterBinder;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The near cache on one real Redis: a cached call sends no Redis command, a 401 seen by
 * one instance reaches the near cache of every other through the invalidation channel,
 * and a near-cache entry never outlives its Redis key.
 */
class RedisNearCacheIT extends RedisProcessTests {

	private final TokenKey apiKey = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			List.of("api.read", "api.write"), null);

	@Test
	void withTheNearCacheACachedCallSendsNoRedisCommand() {
		runner().run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			RedisContexts.callApi(client, this.idp);
			this.raw.commands().configResetstat();
			for (int i = 0; i < 100; i++) {
				RedisContexts.callApi(client, this.idp);
			}
			assertThat(Fleet.commandStats(this.raw)).as("Redis commands of 100 cached calls").isEmpty();
			assertThat(this.idp.tokenRequests()).isOne();
		});
	}

	@Test
	void a401SeenByOneInstanceReachesTheNearCacheOfEveryOther() {
		ApplicationContextRunner runner = runner();
		runner.run((a) -> runner.run((b) -> {
			awaitSubscribed(2);
			RestClient clientA = TokenCacheContexts.restClient(a);
			RestClient clientB = TokenCacheContexts.restClient(b);
			RedisContexts.callApi(clientA, this.idp);
			RedisContexts.callApi(clientB, this.idp);
			assertThat(this.idp.tokenRequests()).isOne();
			assertThat(nearCache(b).size()).as("tokens in B's near cache").isOne();

			CountDownLatch invalidated = new CountDownLatch(1);
			nearCache(b).onInvalidation(invalidated::countDown);
			String first = this.idp.issuedTokens().iterator().next();
			this.idp.revoke(first);
			// A is rejected, deletes the token in Redis, publishes, fetches anew and retries.
			RedisContexts.callApi(clientA, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(invalidated.await(10, TimeUnit.SECONDS)).as("invalidation reached B").isTrue();
			RedisContexts.callApi(clientB, this.idp);
			RedisContexts.callApi(clientB, this.idp);
			// B never sent the revoked token: it found A's new one in Redis.
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isEqualTo(2);
		}));
	}

	@Test
	void aClearOnOneInstanceEmptiesTheNearCacheOfEveryOther() {
		ApplicationContextRunner runner = runner();
		runner.run((a) -> runner.run((b) -> {
			awaitSubscribed(2);
			RedisContexts.callApi(TokenCacheContexts.restClient(b), this.idp);
			assertThat(nearCache(b).size()).isOne();
			CountDownLatch invalidated = new CountDownLatch(1);
			nearCache(b).onInvalidation(invalidated::countDown);
			a.getBean(RedisTokenCache.class).clear();
			assertThat(invalidated.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(b.getBean(RedisTokenCache.class).get(this.apiKey)).isNull();
			assertThat(nearCache(b).size()).isZero();
		}));
	}

	@Test
	void theNearCacheShowsItsEntriesInvalidationsAndSubscriptionAsMetrics() {
		ApplicationContextRunner runner = runner()
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					TokenCacheMetricsAutoConfiguration.class));
		runner.run((a) -> runner.run((b) -> {
			awaitSubscribed(2);
			MeterRegistry registry = b.getBean(MeterRegistry.class);
			RedisContexts.callApi(TokenCacheContexts.restClient(b), this.idp);
			assertThat(registry.get(RedisTokenCacheMeterBinder.NEAR_ENTRIES).gauge().value()).isOne();
			assertThat(registry.get(RedisTokenCacheMeterBinder.NEAR_LISTENING).gauge().value()).isOne();
			double before = registry.get(RedisTokenCacheMeterBinder.NEAR_INVALIDATIONS).functionCounter().count();
			CountDownLatch invalidated = new CountDownLatch(1);
			nearCache(b).onInvalidation(invalidated::countDown);
			a.getBean(RedisTokenCache.class).clear();
			assertThat(invalidated.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(registry.get(RedisTokenCacheMeterBinder.NEAR_INVALIDATIONS).functionCounter().count())
				.isEqualTo(before + 1);
			assertThat(registry.get(RedisTokenCacheMeterBinder.NEAR_ENTRIES).gauge().value()).isZero();
		}));
	}

	@Test
	void aNearCacheEntryNeverOutlivesItsRedisKey() {
		runner().run((context) -> {
			RedisTokenCache cache = context.getBean(RedisTokenCache.class);
			RedisContexts.callApi(TokenCacheContexts.restClient(context), this.idp);
			String redisKey = cache.redisKey(this.apiKey);
			// Make the Redis key short-lived behind the cache's back, with no message.
			nearCache(context).invalidateAll();
			this.raw.commands().pexpire(RawRedis.bytes(redisKey), 400);
			CachedToken copied = cache.get(this.apiKey);
			assertThat(copied).as("read through the near cache").isNotNull();
			assertThat(nearCache(context).size()).isOne();
			await().atMost(Duration.ofSeconds(10)).until(() -> !this.raw.exists(redisKey));
			assertThat(cache.get(this.apiKey)).as("the copy expired with its Redis key").isNull();
		});
	}

	@Test
	void withoutTheNearCacheACachedCallIsOneGet() {
		RedisContexts.runner(this.idp, redis.port()).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			RedisContexts.callApi(client, this.idp);
			this.raw.commands().configResetstat();
			for (int i = 0; i < 100; i++) {
				RedisContexts.callApi(client, this.idp);
			}
			assertThat(Fleet.commandStats(this.raw)).containsExactly(Map.entry("get", 100L));
			assertThat(context).doesNotHaveBean(NearCache.class);
		});
	}

	private void awaitSubscribed(int subscribers) {
		String channel = RedisTokenCache.DEFAULT_KEY_PREFIX + "invalidate";
		await().atMost(Fleet.WAIT)
			.until(() -> this.raw.commands()
				.pubsubNumsub(RawRedis.bytes(channel))
				.values()
				.iterator()
				.next() >= subscribers);
	}

	private ApplicationContextRunner runner() {
		return RedisContexts.runner(this.idp, redis.port())
			.withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=true");
	}

	static NearCache nearCache(ApplicationContext context) {
		NearCache nearCache = context.getBean(RedisTokenCache.class).nearCache();
		assertThat(nearCache).isNotNull().isSameAs(context.getBean(NearCache.class));
		return nearCache;
	}

}
