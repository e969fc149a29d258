package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link RedisTokenCache} on a Redis Cluster of three masters, each a real
 * {@code redis-server} process: keys of different registrations land in slots of every
 * master and every operation, {@code clear()} included, works across them; the fetch lease
 * and near-cache invalidations work across them too.
 */
class RedisClusterIT {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final int SLOTS = 16_384;

	private static final List<RedisProcess> nodes = new ArrayList<>();

	private static final List<RawRedis> raws = new ArrayList<>();

	@BeforeAll
	static void startCluster() {
		for (int i = 0; i < 3; i++) {
			RedisProcess node = RedisProcess.launch("cluster-enabled yes", "cluster-node-timeout 5000");
			nodes.add(node);
			raws.add(new RawRedis(node.port()));
		}
		for (int i = 0; i < 3; i++) {
			int from = i * SLOTS / 3;
			int to = (i + 1) * SLOTS / 3;
			raws.get(i).commands().clusterAddSlots(IntStream.range(from, to).toArray());
		}
		for (int i = 1; i < 3; i++) {
			raws.get(0).commands().clusterMeet("127.0.0.1", nodes.get(i).port());
		}
		await().atMost(Duration.ofSeconds(30))
			.until(() -> raws.stream()
				.map((raw) -> raw.commands().clusterInfo())
				.allMatch((info) -> info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3")));
	}

	@AfterAll
	static void stopCluster() {
		raws.forEach(RawRedis::close);
		nodes.forEach(RedisProcess::close);
	}

	@Test
	void keysSpreadOverEveryMasterAndEveryOperationWorksAcrossSlots() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisClusterConfiguration(
				nodes.stream().map((node) -> "127.0.0.1:" + node.port()).toList()));
		factory.afterPropertiesSet();
		try (RedisTokenCache cache = RedisTokenCache.builder(factory).build()) {
			assertThat(cache.warmUp(Duration.ofSeconds(10))).isTrue();
			List<TokenKey> keys = IntStream.range(0, 30)
				.mapToObj((i) -> TokenKey.system("api-" + i, CLIENT, List.of("api.read"), null))
				.toList();
			keys.forEach((key) -> cache.put(key, token("opaque-" + key.registrationId())));
			for (RawRedis raw : raws) {
				assertThat(raw.keys()).as("keys on one master").isNotEmpty();
			}
			keys.forEach((key) -> assertThat(cache.get(key)).extracting(CachedToken::tokenValue)
				.isEqualTo("opaque-" + key.registrationId()));

			TokenKey first = keys.get(0);
			cache.delete(first, token("opaque-some-older-token"));
			assertThat(cache.get(first)).isNotNull();
			cache.delete(first, token("opaque-" + first.registrationId()));
			assertThat(cache.get(first)).isNull();
			cache.delete(keys.get(1));
			assertThat(cache.get(keys.get(1))).isNull();

			StringRedisTemplate template = new StringRedisTemplate(factory);
			template.opsForValue().set("unrelated", "value");
			cache.clear();
			assertThat(raws.stream().flatMap((raw) -> raw.keys().stream())).containsExactly("unrelated");
			assertThat(cache.failures()).isZero();
		}
		finally {
			factory.destroy();
		}
	}

	@Test
	void theReactiveCacheWorksAcrossSlotsAndClearsEveryMaster() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisClusterConfiguration(
				nodes.stream().map((node) -> "127.0.0.1:" + node.port()).toList()));
		factory.afterPropertiesSet();
		factory.start();
		Duration wait = Duration.ofSeconds(10);
		try (ReactiveRedisTokenCache cache = ReactiveRedisTokenCache.builder(factory).build();
				RedisTokenCache blocking = RedisTokenCache.builder(factory).build()) {
			assertThat(cache.warmUp(wait)).isTrue();
			List<TokenKey> keys = IntStream.range(0, 30)
				.mapToObj((i) -> TokenKey.system("reactive-" + i, CLIENT, List.of("api.read"), null))
				.toList();
			keys.forEach((key) -> cache.put(key, token("opaque-" + key.registrationId())).block(wait));
			for (RawRedis raw : raws) {
				assertThat(raw.keys()).as("keys on one master").isNotEmpty();
			}
			keys.forEach((key) -> assertThat(blocking.get(key)).extracting(CachedToken::tokenValue)
				.isEqualTo("opaque-" + key.registrationId()));

			TokenKey first = keys.get(0);
			cache.delete(first, token("opaque-some-older-token")).block(wait);
			assertThat(cache.get(first).block(wait)).isNotNull();
			cache.delete(first, token("opaque-" + first.registrationId())).block(wait);
			assertThat(cache.get(first).block(wait)).isNull();

			StringRedisTemplate template = new StringRedisTemplate(factory);
			template.opsForValue().set("unrelated", "value");
			cache.clear().block(wait);
			assertThat(raws.stream().flatMap((raw) -> raw.keys().stream())).containsExactly("unrelated");
			template.delete("unrelated");
			assertThat(cache.failures()).isZero();
		}
		finally {
			factory.destroy();
		}
	}

	@Test
	void anApplicationOnTheClusterFetchesOneTokenAndCachesIt() {
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			TokenCacheContexts.runner(idp)
				.withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations
					.of(org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration.class))
				.withPropertyValues("dexpace.token-cache.type=redis", "spring.data.redis.cluster.nodes="
						+ String.join(",", nodes.stream().map((node) -> "127.0.0.1:" + node.port()).toList()))
				.run((context) -> {
					RedisContexts.callApi(TokenCacheContexts.restClient(context), idp);
					RedisContexts.callApi(TokenCacheContexts.restClient(context), idp);
					assertThat(idp.tokenRequests()).isOne();
					String redisKey = context.getBean(RedisTokenCache.class)
						.redisKey(TokenKey.system("api", TokenCacheContexts.clientDigest(idp),
								List.of("api.read", "api.write"), null));
					assertThat(raws.stream().filter((raw) -> raw.keys().contains(redisKey))).hasSize(1);
					context.getBean(RedisTokenCache.class).clear();
				});
		}
	}

	@Test
	void instancesOnTheClusterMakeOneTokenRequestForAColdKeyAndHearEachOthersInvalidations() throws Exception {
		ExecutorService pool = Fleet.pool(17);
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			ApplicationContextRunner runner = TokenCacheContexts.runner(idp)
				.withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations
					.of(org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration.class))
				.withPropertyValues("dexpace.token-cache.type=redis",
						"dexpace.token-cache.redis.near-cache.enabled=true", "dexpace.token-cache.refresh-ahead=0",
						"spring.data.redis.cluster.nodes="
								+ String.join(",", nodes.stream().map((node) -> "127.0.0.1:" + node.port()).toList()))
				.withBean(Fleet.MissProbe.class, Fleet.MissProbe::new);
			CountDownLatch gate = idp.holdTokenResponses();
			runner.run((a) -> runner.run((b) -> {
				await().atMost(Fleet.WAIT)
					.until(() -> RedisNearCacheIT.nearCache(a).isListening()
							&& RedisNearCacheIT.nearCache(b).isListening());
				raws.forEach((raw) -> raw.commands().configResetstat());
				List<Future<?>> calls = Fleet.callTogether(pool, idp, 8, 2, a, b);
				assertThat(a.getBean(Fleet.MissProbe.class).awaitMiss()).isTrue();
				assertThat(b.getBean(Fleet.MissProbe.class).awaitMiss()).isTrue();
				// Both instances have tried the lease: one SET NX each, at least.
				await().atMost(Fleet.WAIT)
					.until(() -> raws.stream()
						.mapToLong((raw) -> Fleet.commandStats(raw).getOrDefault("set", 0L))
						.sum() >= 2);
				gate.countDown();
				assertThat(Fleet.failures(calls)).as("failed calls").isZero();
				assertThat(idp.tokenRequests()).as("token requests of a cold start").isOne();

				CountDownLatch invalidated = new CountDownLatch(1);
				RedisNearCacheIT.nearCache(b).onInvalidation(invalidated::countDown);
				String first = idp.issuedTokens().iterator().next();
				idp.revoke(first);
				RedisContexts.callApi(TokenCacheContexts.restClient(a), idp);
				assertThat(invalidated.await(10, TimeUnit.SECONDS)).as("invalidation reached B through the cluster")
					.isTrue();
				RedisContexts.callApi(TokenCacheContexts.restClient(b), idp);
				assertThat(idp.revokedTokensReceived()).containsExactly(first);
				assertThat(idp.tokenRequests()).isEqualTo(2);
				a.getBean(RedisTokenCache.class).clear();
			}));
		}
		finally {
			pool.shutdownNow();
		}
	}

	private static CachedToken token(String value) {
		Instant now = Instant.now();
		return new CachedToken(value, "Bearer", Set.of("api.read"), now, now.plus(Duration.ofMinutes(10)));
	}

}
