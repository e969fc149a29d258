package dev.dexpace.tokencache.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Counts, not timings, that describe the Redis cache and are printed as {@code FIGURE}
 * lines: token requests of a fleet on a cold start, with and without Redis, and the Redis
 * commands one cached call costs, read from {@code INFO commandstats}.
 * <p>
 * {@code mvn -B verify -pl autoconfigure -Dit.test=RedisFiguresIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}
 */
class RedisFiguresIT {

	private static final int INSTANCES = 4;

	private static final int THREADS = 16;

	private static final int CALLS_PER_THREAD = 5;

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
	void tokenRequestsOfFourInstancesOnAColdStart() throws Exception {
		int memory = coldStart("memory");
		raw.commands().flushall();
		int shared = coldStart("redis");
		System.out.printf("FIGURE cold start, %d contexts x %d threads x %d calls: token requests type=memory %d,"
				+ " type=redis %d%n", INSTANCES, THREADS, CALLS_PER_THREAD, memory, shared);
		// Each instance coalesces its own threads; with Redis, the fleet lock (on by
		// default) lets one instance fetch while the others wait for its token.
		assertThat(memory).isEqualTo(INSTANCES);
		assertThat(shared).isOne();
	}

	@Test
	void tokenRequestsOfFourInstancesThatStartOneAfterAnother() throws Exception {
		int memory = staggeredStart("memory");
		raw.commands().flushall();
		int shared = staggeredStart("redis");
		System.out.printf("FIGURE staggered start, %d contexts one after another x %d threads x %d calls:"
				+ " token requests type=memory %d, type=redis %d%n", INSTANCES, THREADS, CALLS_PER_THREAD, memory,
				shared);
		assertThat(memory).isEqualTo(INSTANCES);
		assertThat(shared).isOne();
	}

	@Test
	void aCachedCallIsOneRedisGet() {
		raw.commands().flushall();
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			RedisContexts.runner(idp, redis.port()).run((context) -> {
				RestClient client = TokenCacheContexts.restClient(context);
				RedisContexts.callApi(client, idp);
				raw.commands().configResetstat();
				int calls = 100;
				for (int i = 0; i < calls; i++) {
					RedisContexts.callApi(client, idp);
				}
				Map<String, Long> stats = Fleet.commandStats(raw);
				long total = stats.values().stream().mapToLong(Long::longValue).sum();
				System.out.printf("FIGURE Redis commands per cached call: %.2f (%s over %d calls)%n",
						(double) total / calls, stats, calls);
				assertThat(stats).containsExactly(Map.entry("get", (long) calls));
				assertThat(idp.tokenRequests()).isOne();
			});
		}
	}

	private int coldStart(String type) throws Exception {
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			ApplicationContextRunner runner = RedisContexts.runner(idp, redis.port())
				// A lease no holder outlasts on busy cores: the count, not takeovers.
				.withPropertyValues("dexpace.token-cache.type=" + type, "dexpace.token-cache.redis.lock.lease=60s");
			runner.run((a) -> runner.run((b) -> runner.run((c) -> runner.run((d) -> {
				callTogether(idp, a, b, c, d);
			}))));
			return idp.tokenRequests();
		}
	}

	private int staggeredStart(String type) throws Exception {
		try (TestIdentityProvider idp = new TestIdentityProvider()) {
			ApplicationContextRunner runner = RedisContexts.runner(idp, redis.port())
				.withPropertyValues("dexpace.token-cache.type=" + type);
			runner.run((a) -> runner.run((b) -> runner.run((c) -> runner.run((d) -> {
				for (ApplicationContext context : List.of(a, b, c, d)) {
					callTogether(idp, context);
				}
			}))));
			return idp.tokenRequests();
		}
	}

	private static void callTogether(TestIdentityProvider idp, ApplicationContext... contexts) throws Exception {
		int threads = contexts.length * THREADS;
		CyclicBarrier start = new CyclicBarrier(threads);
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int i = 0; i < threads; i++) {
				RestClient client = TokenCacheContexts.restClient(contexts[i % contexts.length]);
				futures.add(pool.submit(() -> {
					start.await(30, TimeUnit.SECONDS);
					for (int call = 0; call < CALLS_PER_THREAD; call++) {
						RedisContexts.callApi(client, idp);
					}
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

}
