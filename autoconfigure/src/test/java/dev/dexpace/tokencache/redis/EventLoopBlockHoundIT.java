package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.memory.InMemoryReactiveTokenCache;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockHound;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With BlockHound installed, every call of a reactive application (cold cache with 64
 * concurrent subscribers, hits, a revoked token with its conditional delete and retry)
 * runs on Reactor's non-blocking threads and on Netty's and Lettuce's event loops without
 * a single blocking call, with the in-memory cache and with the Redis cache (plain and
 * sealed values, and with the near cache, whose invalidation messages arrive on Lettuce's
 * threads). Runs in its own JVM (failsafe execution {@code blockhound}), as
 * BlockHound stays installed for the life of the JVM.
 */
class EventLoopBlockHoundIT {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final List<String> violations = new CopyOnWriteArrayList<>();

	private static RedisProcess redis;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@BeforeAll
	static void installBlockHound() {
		// Record, never throw: an error thrown from inside a client's critical section would
		// leave its locks held and hang the test instead of failing it.
		BlockHound.install((builder) -> builder
			// Lettuce 6.8 guards its writer count with a ReentrantLock on every command it
			// dispatches; the lock covers a counter update, never I/O, but two threads that
			// send at once contend for it. Not our code and not a wait for I/O: allowed.
			.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "incrementWriters")
			.blockingMethodCallback((method) -> {
			StringBuilder violation = new StringBuilder(method + " on " + Thread.currentThread().getName());
			for (StackTraceElement element : new Throwable().getStackTrace()) {
				violation.append("\n\tat ").append(element);
			}
			violations.add(violation.toString());
		}));
		redis = RedisProcess.launch();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@BeforeEach
	void noViolationsYet() {
		violations.clear();
		try (RawRedis raw = new RawRedis(redis.port())) {
			raw.commands().flushall();
		}
	}

	@AfterEach
	void stopIdp() {
		this.idp.close();
	}

	@Test
	void blockHoundCatchesABlockingCallOnANonBlockingThread() {
		Mono.fromRunnable(() -> LockSupport.parkNanos(1_000)).subscribeOn(Schedulers.parallel()).block(WAIT);
		assertThat(violations).hasSize(1).first(InstanceOfAssertFactories.STRING).contains("Unsafe#park", "parallel-");
	}

	@Test
	void theBlockingRedisCacheCalledOnAReactorThreadWouldBeCaught() throws Exception {
		try (RedisCaches caches = new RedisCaches(redis.port()); RawRedis raw = new RawRedis(redis.port())) {
			RedisTokenCache blocking = caches.create();
			// The cache waits for Redis' answer on the calling thread; with the answer
			// delayed, that wait blocks for certain (a fast answer might be there first).
			raw.commands().clientPause(300);
			Mono.fromSupplier(() -> blocking.get(TokenKey.system("api", CLIENT, List.of(), null)))
				.subscribeOn(Schedulers.parallel())
				.block(WAIT);
		}
		assertThat(violations).isNotEmpty().allMatch((violation) -> violation.contains("parallel-"));
	}

	@Test
	void theInMemoryCacheNeverBlocksAnEventLoop() {
		ReactiveTokenCacheContexts.reactiveRunner(this.idp).run((context) -> {
			assertThat(context.getBean(ReactiveTokenCache.class)).isInstanceOf(InMemoryReactiveTokenCache.class);
			exercise(context);
		});
	}

	@Test
	void theRedisCacheNeverBlocksAnEventLoop() {
		redisRunner().run((context) -> {
			assertThat(context.getBean(ReactiveTokenCache.class)).isInstanceOf(ReactiveRedisTokenCache.class);
			exercise(context);
		});
	}

	@Test
	void theRedisCacheWithEncryptionNeverBlocksAnEventLoop() {
		String key = Base64.getEncoder().encodeToString(new byte[32]);
		redisRunner().withPropertyValues("dexpace.token-cache.redis.encryption-key=" + key).run((context) -> {
			assertThat(context.getBean(ReactiveTokenCache.class)).isInstanceOf(ReactiveRedisTokenCache.class);
			exercise(context);
		});
	}

	@Test
	void theRedisCacheWithTheNearCacheNeverBlocksAnEventLoop() {
		redisRunner().withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=true").run((context) -> {
			assertThat(context.getBean(ReactiveRedisTokenCache.class).nearCache()).isNotNull();
			exercise(context);
			// Invalidation messages are applied on the thread that receives them.
			NearCache nearCache = context.getBean(NearCache.class);
			org.awaitility.Awaitility.await().atMost(WAIT).until(() -> nearCache.invalidationsReceived() > 0);
			assertThat(violations).isEmpty();
		});
	}

	private ReactiveWebApplicationContextRunner redisRunner() {
		return ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(
					AutoConfigurations.of(DataRedisAutoConfiguration.class, DataRedisReactiveAutoConfiguration.class))
			// BlockHound's instrumentation slows the first commands of a cold JVM on two cores
			// past the default 200ms, which would only open the breaker: this test is about
			// threads, not latency.
			.withPropertyValues("dexpace.token-cache.type=redis", "dexpace.token-cache.redis.timeout=5s",
					"spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redis.port());
	}

	private void exercise(ApplicationContext context) {
		WebClient client = ReactiveTokenCacheContexts.webClient(context);
		ReactiveTokenCache cache = context.getBean(ReactiveTokenCache.class);
		TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
				List.of("api.read", "api.write"), null);
		// Cold cache: 64 concurrent calls, each started on a non-blocking Reactor thread.
		CountDownLatch tokenResponses = this.idp.holdTokenResponses();
		CompletableFuture<List<Integer>> cold = Flux.range(0, 64)
			.flatMap((i) -> call(client).subscribeOn(Schedulers.parallel()), 64)
			.collectList()
			.toFuture();
		await().atMost(WAIT).until(() -> this.idp.tokenRequests() == 1);
		tokenResponses.countDown();
		assertThat(cold).succeedsWithin(WAIT).asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(64).containsOnly(200);
		assertThat(this.idp.tokenRequests()).isEqualTo(1);
		// Hits.
		assertThat(Flux.range(0, 200).flatMap((i) -> call(client).subscribeOn(Schedulers.parallel()), 16)
			.collectList()
			.block(WAIT)).hasSize(200).containsOnly(200);
		// A revoked token: conditional delete, a new token, one retry.
		String first = cache.get(key).subscribeOn(Schedulers.parallel()).block(WAIT).tokenValue();
		this.idp.revoke(first);
		assertThat(call(client).subscribeOn(Schedulers.parallel()).block(WAIT)).isEqualTo(200);
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
		assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
		assertThat(violations).isEmpty();
		if (cache instanceof ReactiveRedisTokenCache redisCache) {
			assertThat(redisCache.failures()).as("Redis failures").isZero();
		}
	}

	private Mono<Integer> call(WebClient client) {
		return ReactiveTokenCacheContexts.callApi(client, this.idp).map((response) -> response.getStatusCode().value());
	}

}
