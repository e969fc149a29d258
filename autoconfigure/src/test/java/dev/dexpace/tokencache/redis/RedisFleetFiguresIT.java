package dev.dexpace.tokencache.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Counts that describe fleet-wide single-flight and the near cache, printed as
 * {@code FIGURE} lines: token requests of four instances of sixteen threads on a cold
 * key with and without the lock, and Redis commands per cached call with and without the
 * near cache, read from {@code INFO commandstats}.
 * <p>
 * {@code mvn -B -o verify -pl autoconfigure -Dit.test=RedisFleetFiguresIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}
 */
class RedisFleetFiguresIT {

	private static final int INSTANCES = 4;

	private static final int THREADS = 16;

	private static final int CALLS_PER_THREAD = 5;

	private static final int ROUNDS = 3;

	private static RedisProcess redis;

	private static RawRedis raw;

	@BeforeAll
	static void startRedis() {
		redis = RedisProcess.launch();
		raw = new RawRedis(redis.port());
	}

	@AfterAll
	static void stopRedis() {
		raw.close();
		redis.close();
	}

	@Test
	void tokenRequestsOfFourInstancesThatMissTogetherWithAndWithoutTheLock() throws Exception {
		int withoutLock = coldStart(false, true);
		int withLock = coldStart(true, true);
		System.out.printf("FIGURE cold key, %d contexts x %d threads x %d calls, token endpoint held until every"
				+ " context missed: token requests without lock %d, with lock %d%n", INSTANCES, THREADS,
				CALLS_PER_THREAD, withoutLock, withLock);
		assertThat(withoutLock).isEqualTo(INSTANCES);
		assertThat(withLock).isOne();
	}

	@Test
	void tokenRequestsOfFourInstancesStartedTogetherWithAndWithoutTheLock() throws Exception {
		List<Integer> withoutLock = new ArrayList<>();
		List<Integer> withLock = new ArrayList<>();
		for (int round = 0; round < ROUNDS; round++) {
			withoutLock.add(coldStart(false, false));
			withLock.add(coldStart(true, false));
		}
		System.out.printf("FIGURE cold key, %d contexts x %d threads x %d calls released by one barrier, %d rounds:"
				+ " token requests without lock %s, with lock %s%n", INSTANCES, THREADS, CALLS_PER_THREAD, ROUNDS,
				withoutLock, withLock);
		// Without the lock the count depends on how the instances overlap: a figure, not an
		// assertion (tokenRequestsOfFourInstancesThatMissTogether… pins it at 4).
		assertThat(withLock).containsOnly(1);
	}

	@Test
	void redisCommandsPerCachedCallWithAndWithoutTheNearCache() {
		double without = commandsPerCachedCall(false);
		double with = commandsPerCachedCall(true);
		System.out.printf("FIGURE Redis commands per cached call: without near cache %.2f, with near cache %.2f%n",
				without, with);
		assertThat(without).isEqualTo(1.0);
		assertThat(with).isZero();
	}

	private double commandsPerCachedCall(boolean nearCache) {
		raw.commands().flushall();
		double[] perCall = new double[1];
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			RedisContexts.runner(idp, redis.port())
				.withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=" + nearCache)
				.run((context) -> {
					RestClient client = TokenCacheContexts.restClient(context);
					RedisContexts.callApi(client, idp);
					raw.commands().configResetstat();
					int calls = 1000;
					for (int i = 0; i < calls; i++) {
						RedisContexts.callApi(client, idp);
					}
					Map<String, Long> stats = Fleet.commandStats(raw);
					long total = stats.values().stream().mapToLong(Long::longValue).sum();
					System.out.printf("FIGURE near-cache=%s: %s over %d cached calls%n", nearCache, stats, calls);
					perCall[0] = (double) total / calls;
				});
		}
		return perCall[0];
	}

	private int coldStart(boolean lock, boolean holdUntilAllMissed) throws Exception {
		raw.commands().flushall();
		ExecutorService pool = Fleet.pool(INSTANCES * THREADS);
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			ApplicationContextRunner runner = RedisContexts.runner(idp, redis.port())
				.withPropertyValues("dexpace.token-cache.redis.lock.enabled=" + lock,
						// A holder on 2 busy cores may take longer than the default 5 s
						// lease, and waiters would take over: this test counts token
						// requests, not takeovers (RedisFleetSingleFlightIT does).
						"dexpace.token-cache.redis.lock.lease=60s")
				.withBean(Fleet.MissProbe.class, Fleet.MissProbe::new);
			CountDownLatch gate = holdUntilAllMissed ? idp.holdTokenResponses() : new CountDownLatch(0);
			runner.run((a) -> runner.run((b) -> runner.run((c) -> runner.run((d) -> {
				List<Future<?>> calls = Fleet.callTogether(pool, idp, THREADS, CALLS_PER_THREAD, a, b, c, d);
				if (holdUntilAllMissed) {
					for (ApplicationContext context : List.of(a, b, c, d)) {
						assertThat(context.getBean(Fleet.MissProbe.class).awaitMiss()).isTrue();
					}
					if (!lock) {
						await().atMost(Fleet.WAIT).until(() -> idp.tokenRequests() == INSTANCES);
					}
					gate.countDown();
				}
				assertThat(Fleet.failures(calls)).isZero();
			}))));
			return idp.tokenRequests();
		}
		finally {
			pool.shutdownNow();
		}
	}

}
