package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis dies in the middle of a run of calls: no call fails, the outage is logged once,
 * and when Redis is back the cache finds it again without a restart of the application.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisOutageIT {

	private static final int CALLS = 1_000;

	private static final int THREADS = 16;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RedisProcess redis = RedisProcess.launch();

	@AfterEach
	void close() {
		this.redis.close();
		this.idp.close();
	}

	@Test
	void redisKilledDuringARunFailsNoCallAndIsFoundAgainWhenItComesBack(CapturedOutput output) {
		RedisContexts.runner(this.idp, this.redis.port())
			.withPropertyValues("dexpace.token-cache.redis.timeout=200ms",
					"dexpace.token-cache.redis.failure-threshold=3", "dexpace.token-cache.redis.open-duration=300ms")
			.run((context) -> {
				RestClient client = TokenCacheContexts.restClient(context);
				RedisTokenCache cache = context.getBean(RedisTokenCache.class);
				RedisContexts.callApi(client, this.idp);
				assertThat(this.idp.tokenRequests()).isOne();

				AtomicInteger tickets = new AtomicInteger(CALLS);
				AtomicInteger succeeded = new AtomicInteger();
				AtomicInteger failed = new AtomicInteger();
				CountDownLatch firstCalls = new CountDownLatch(CALLS / 5);
				ExecutorService threads = Executors.newFixedThreadPool(THREADS);
				for (int i = 0; i < THREADS; i++) {
					threads.execute(() -> {
						while (tickets.getAndDecrement() > 0) {
							try {
								RedisContexts.callApi(client, this.idp);
								succeeded.incrementAndGet();
							}
							catch (RuntimeException ex) {
								failed.incrementAndGet();
							}
							finally {
								firstCalls.countDown();
							}
						}
					});
				}
				assertThat(firstCalls.await(60, TimeUnit.SECONDS)).isTrue();
				this.redis.kill();
				threads.shutdown();
				assertThat(threads.awaitTermination(120, TimeUnit.SECONDS)).isTrue();

				assertThat(failed).hasValue(0);
				assertThat(succeeded).hasValue(CALLS);
				assertThat(cache.failures()).as("Redis failures seen by the cache").isPositive();

				this.redis.start();
				try (RawRedis raw = new RawRedis(this.redis.port())) {
					await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
						RedisContexts.callApi(client, this.idp);
						assertThat(cache.isCircuitOpen()).isFalse();
					});
					// Lettuce may replay commands it queued while disconnected: start from an
					// empty Redis to see what the recovered cache writes on its own.
					raw.commands().flushall();
					int tokenRequests = this.idp.tokenRequests();
					RedisContexts.callApi(client, this.idp);
					assertThat(this.idp.tokenRequests()).isEqualTo(tokenRequests + 1);
					assertThat(raw.keys()).singleElement().asString().startsWith("dexpace:token-cache:system:api:");
					RedisContexts.callApi(client, this.idp);
					RedisContexts.callApi(client, this.idp);
					assertThat(this.idp.tokenRequests()).as("token requests once Redis is back")
						.isEqualTo(tokenRequests + 1);
				}
			});
		assertThat(count(output.getAll(), "Redis token cache \\w+ failed \\(")).as("outage log lines").isOne();
		assertThat(count(output.getAll(), "Redis token cache recovered")).as("recovery log lines").isOne();
	}

	private static int count(String text, String regex) {
		Matcher matcher = Pattern.compile(regex).matcher(text);
		int count = 0;
		while (matcher.find()) {
			count++;
		}
		return count;
	}

}
