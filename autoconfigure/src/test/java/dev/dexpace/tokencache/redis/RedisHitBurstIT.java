package dev.dexpace.tokencache.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A burst of callers on a healthy Redis, far more than any pool of the cache: every one
 * is a hit, none fails, and the circuit stays closed, because how busy the application is
 * never counts as a Redis failure.
 */
class RedisHitBurstIT {

	private static final int CALLERS = 5_000;

	private static final int WARM_UP_CALLS = 5_000;

	// Small stacks keep 5,000 platform threads (Java 17: no virtual threads) to a few
	// hundred MB; a hit needs far less.
	private static final long STACK_BYTES = 256 * 1024;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RedisProcess redis = RedisProcess.launch();

	@AfterEach
	void close() {
		this.redis.close();
		this.idp.close();
	}

	@Test
	void fiveThousandCallersReleasedTogetherOnAWarmCacheAllHitAndNeverOpenTheCircuit() {
		// 5,000 runnable threads on two shared cores also slow Lettuce's event loop thread,
		// which decodes every reply: CPU, not Redis and not a queue in the cache. The timeout
		// leaves room for that; before the fix, the hand-off rejected most of the burst at
		// once, whatever the timeout.
		RedisContexts.runner(this.idp, this.redis.port())
			.withPropertyValues("dexpace.token-cache.redis.timeout=2s")
			.run((context) -> {
			CachingOAuth2AuthorizedClientManager manager = context.getBean(CachingOAuth2AuthorizedClientManager.class);
			RedisTokenCache cache = context.getBean(RedisTokenCache.class);
			OAuth2AuthorizeRequest request = OAuth2AuthorizeRequest.withClientRegistrationId("api")
				.principal("app")
				.build();
			// Warm: the token is in Redis, and the hit path has run often enough to be compiled,
			// as in an application that served hits before the burst.
			for (int i = 0; i < WARM_UP_CALLS; i++) {
				assertThat(manager.authorize(request)).isNotNull();
			}
			assertThat(this.idp.tokenRequests()).isOne();

			CountDownLatch ready = new CountDownLatch(CALLERS);
			CountDownLatch go = new CountDownLatch(1);
			CountDownLatch done = new CountDownLatch(CALLERS);
			AtomicInteger failed = new AtomicInteger();
			List<Thread> threads = new ArrayList<>(CALLERS);
			for (int i = 0; i < CALLERS; i++) {
				Thread thread = new Thread(null, () -> {
					try {
						ready.countDown();
						go.await();
						OAuth2AuthorizedClient client = manager.authorize(request);
						if (client == null || client.getAccessToken() == null) {
							failed.incrementAndGet();
						}
					}
					catch (Exception ex) {
						failed.incrementAndGet();
					}
					finally {
						done.countDown();
					}
				}, "burst-" + i, STACK_BYTES);
				thread.setDaemon(true);
				threads.add(thread);
				thread.start();
			}
			assertThat(ready.await(120, TimeUnit.SECONDS)).as("callers ready").isTrue();
			go.countDown();
			assertThat(done.await(300, TimeUnit.SECONDS)).as("callers done").isTrue();

			assertThat(failed).as("failed calls").hasValue(0);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isOne();
			assertThat(cache.failures()).as("Redis failures").isZero();
			assertThat(cache.skipped()).as("operations skipped by the circuit").isZero();
			assertThat(cache.isCircuitOpen()).as("circuit open").isFalse();
			for (Thread thread : threads) {
				thread.join(TimeUnit.SECONDS.toMillis(60));
			}
		});
	}

}
