package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import dev.dexpace.tokencache.TokenCacheListener.LeaseWaitOutcome;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fleet-wide single-flight on one real Redis: four application contexts of sixteen
 * threads each that miss a cold key together make one token request, and a lease holder
 * that dies mid-fetch delays the others by at most the lease.
 */
class RedisFleetSingleFlightIT extends RedisProcessTests {

	private final TokenKey apiKey = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			List.of("api.read", "api.write"), null);

	private static final int INSTANCES = 4;

	private static final int THREADS = 16;

	private final ExecutorService pool = Fleet.pool(INSTANCES * THREADS + 1);

	@BeforeEach
	void resetStats() {
		this.raw.commands().configResetstat();
	}

	@AfterEach
	void stopPool() {
		this.pool.shutdownNow();
	}

	@Test
	void fourInstancesOfSixteenThreadsMissingAColdKeyTogetherMakeOneTokenRequest() throws Exception {
		assertThat(coldStart(true)).isOne();
	}

	@Test
	void withoutTheLockEachInstanceMakesItsOwnTokenRequest() throws Exception {
		// The same scenario with the lock off: proves the one above can fail.
		assertThat(coldStart(false)).isEqualTo(INSTANCES);
	}

	/**
	 * Hold the token endpoint until every instance has missed the key (and, with the lock,
	 * the lease is taken), so that all of them are on the cold path together.
	 */
	private int coldStart(boolean lock) throws Exception {
		ApplicationContextRunner runner = runner().withPropertyValues("dexpace.token-cache.redis.lock.enabled=" + lock);
		CountDownLatch gate = this.idp.holdTokenResponses();
		runner.run((a) -> runner.run((b) -> runner.run((c) -> runner.run((d) -> {
			List<Future<?>> calls = Fleet.callTogether(this.pool, this.idp, THREADS, 3, a, b, c, d);
			for (ApplicationContext context : List.of(a, b, c, d)) {
				assertThat(context.getBean(Fleet.MissProbe.class).awaitMiss()).isTrue();
			}
			if (lock) {
				String lockKey = lockKey(a);
				await().atMost(Fleet.WAIT).until(() -> this.raw.exists(lockKey));
				// Every instance has tried the lease: one SET NX each, at least.
				await().atMost(Fleet.WAIT)
					.until(() -> Fleet.commandStats(this.raw).getOrDefault("set", 0L) >= INSTANCES);
			}
			else {
				await().atMost(Fleet.WAIT).until(() -> this.idp.tokenRequests() == INSTANCES);
			}
			gate.countDown();
			assertThat(Fleet.failures(calls)).as("failed calls").isZero();
			if (lock) {
				// Three instances waited for the holder's token; none fetched.
				assertThat(Fleet.LeaseWaits.count(LeaseWaitOutcome.TOKEN, a, b, c, d)).isEqualTo(INSTANCES - 1);
				assertThat(Fleet.LeaseWaits.count(LeaseWaitOutcome.TAKEN_OVER, a, b, c, d)).isZero();
				assertThat(Fleet.LeaseWaits.count(LeaseWaitOutcome.GAVE_UP, a, b, c, d)).isZero();
			}
		}))));
		return this.idp.tokenRequests();
	}

	@Test
	void aLeaseHolderThatDiesMidFetchDelaysTheOthersByAtMostTheLease() throws Exception {
		Duration lease = Duration.ofSeconds(2);
		ApplicationContextRunner runner = runner().withPropertyValues("dexpace.token-cache.redis.lock.lease=2s");
		CountDownLatch holderGate = this.idp.holdNextTokenResponse();
		try {
			runner.run((holder) -> runner.run((b) -> runner.run((c) -> runner.run((d) -> {
				Future<?> holderCall = this.pool
					.submit(() -> RedisContexts.callApi(TokenCacheContexts.restClient(holder), this.idp));
				await().atMost(Fleet.WAIT).until(() -> this.idp.tokenRequests() == 1);
				long leaseTakenBy = System.nanoTime();
				assertThat(this.raw.exists(lockKey(holder))).as("the holder's lease").isTrue();

				List<Future<?>> calls = Fleet.callTogether(this.pool, this.idp, 5, 1, b, c, d);
				for (ApplicationContext context : List.of(b, c, d)) {
					assertThat(context.getBean(Fleet.MissProbe.class).awaitMiss()).isTrue();
				}
				// The holder dies mid-fetch: its context goes away without releasing the lease.
				holder.close();
				assertThat(Fleet.failures(calls)).as("failed calls").isZero();
				Duration waited = Duration.ofNanos(System.nanoTime() - leaseTakenBy);
				assertThat(waited).as("time until every waiter had a token")
					.isLessThan(lease.plus(Duration.ofMillis(1500)));
				// One request of the dead holder, one of the instance that took the lease over.
				assertThat(this.idp.tokenRequests()).isEqualTo(2);
				assertThat(Fleet.LeaseWaits.count(LeaseWaitOutcome.TAKEN_OVER, b, c, d)).isOne();
				assertThat(Fleet.LeaseWaits.count(LeaseWaitOutcome.TOKEN, b, c, d)).isEqualTo(2);
				assertThat(Fleet.LeaseWaits.count(LeaseWaitOutcome.GAVE_UP, b, c, d)).isZero();
				holderGate.countDown();
				holderCall.cancel(true);
			}))));
		}
		finally {
			holderGate.countDown();
		}
	}

	private ApplicationContextRunner runner() {
		return RedisContexts.runner(this.idp, redis.port())
			.withPropertyValues("dexpace.token-cache.refresh-ahead=0")
			.withBean(Fleet.MissProbe.class, Fleet.MissProbe::new)
			.withBean(Fleet.LeaseWaits.class, Fleet.LeaseWaits::new);
	}

	private String lockKey(ApplicationContext context) {
		RedisTokenCache cache = context.getBean(RedisTokenCache.class);
		String redisKey = cache.redisKey(this.apiKey);
		return redisKey.replace(RedisTokenCache.DEFAULT_KEY_PREFIX, RedisTokenCache.DEFAULT_KEY_PREFIX + "lock:");
	}

}
