package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fleet-wide single-flight and near-cache invalidation across blocking (RestClient) and
 * reactive (WebClient) instances on one real Redis.
 */
class ReactiveRedisFleetScaleIT extends RedisProcessTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final int CALLS = 16;

	private final ExecutorService pool = Fleet.pool(2 * CALLS + 1);

	@BeforeEach
	void resetStats() {
		this.raw.commands().configResetstat();
	}

	@AfterEach
	void stopPool() {
		this.pool.shutdownNow();
	}

	@Test
	void twoReactiveAndTwoBlockingInstancesMissingAColdKeyTogetherMakeOneTokenRequest() {
		CountDownLatch gate = this.idp.holdTokenResponses();
		ApplicationContextRunner blocking = blockingRunner();
		ReactiveWebApplicationContextRunner reactive = reactiveRunner();
		blocking.run((a) -> blocking.run((b) -> reactive.run((c) -> reactive.run((d) -> {
			List<Future<?>> blockingCalls = Fleet.callTogether(this.pool, this.idp, CALLS, 1, a, b);
			WebClient clientC = ReactiveTokenCacheContexts.webClient(c);
			WebClient clientD = ReactiveTokenCacheContexts.webClient(d);
			Mono<List<Object>> reactiveCalls = Flux
				.range(0, 2 * CALLS)
				.flatMap((i) -> ReactiveTokenCacheContexts.callApi((i % 2 == 0) ? clientC : clientD, this.idp))
				.collectList()
				.map(List::<Object>copyOf)
				.cache();
			reactiveCalls.subscribe();
			for (ApplicationContext context : List.of(a, b)) {
				assertThat(context.getBean(Fleet.MissProbe.class).awaitMiss()).isTrue();
			}
			for (ApplicationContext context : List.of(c, d)) {
				CachingReactiveOAuth2AuthorizedClientManager manager = context
					.getBean(CachingReactiveOAuth2AuthorizedClientManager.class);
				await().atMost(WAIT).until(() -> manager.tokenRequestsInFlight() == 1);
			}
			await().atMost(WAIT).until(() -> this.idp.tokenRequests() >= 1
					&& Fleet.commandStats(this.raw).getOrDefault("set", 0L) >= 4);
			gate.countDown();
			assertThat(Fleet.failures(blockingCalls)).as("failed blocking calls").isZero();
			assertThat(reactiveCalls.block(WAIT)).hasSize(2 * CALLS);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isOne();
		}))));
	}

	@Test
	void a401SeenByABlockingInstanceReachesTheReactiveInstancesNearCache() {
		ApplicationContextRunner blocking = blockingRunner()
			.withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=true");
		ReactiveWebApplicationContextRunner reactive = reactiveRunner()
			.withPropertyValues("dexpace.token-cache.redis.near-cache.enabled=true");
		blocking.run((a) -> reactive.run((b) -> {
			NearCache nearB = b.getBean(NearCache.class);
			assertThat(b.getBean(ReactiveRedisTokenCache.class).nearCache()).isSameAs(nearB);
			await().atMost(WAIT).until(nearB::isListening);
			await().atMost(WAIT).until(() -> RedisNearCacheIT.nearCache(a).isListening());
			RestClient clientA = TokenCacheContexts.restClient(a);
			WebClient clientB = ReactiveTokenCacheContexts.webClient(b);
			RedisContexts.callApi(clientA, this.idp);
			ReactiveTokenCacheContexts.callApi(clientB, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).isOne();
			assertThat(nearB.size()).isOne();

			this.raw.commands().configResetstat();
			ReactiveTokenCacheContexts.callApi(clientB, this.idp).block(WAIT);
			assertThat(Fleet.commandStats(this.raw)).as("Redis commands of a cached reactive call").isEmpty();

			CountDownLatch invalidated = new CountDownLatch(1);
			nearB.onInvalidation(invalidated::countDown);
			String first = this.idp.issuedTokens().iterator().next();
			this.idp.revoke(first);
			RedisContexts.callApi(clientA, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(invalidated.await(10, TimeUnit.SECONDS)).as("invalidation reached the reactive instance")
				.isTrue();
			ReactiveTokenCacheContexts.callApi(clientB, this.idp).block(WAIT);
			ReactiveTokenCacheContexts.callApi(clientB, this.idp).block(WAIT);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isEqualTo(2);
		}));
	}

	private ApplicationContextRunner blockingRunner() {
		return RedisContexts.runner(this.idp, redis.port())
			.withPropertyValues("dexpace.token-cache.refresh-ahead=0")
			.withBean(Fleet.MissProbe.class, Fleet.MissProbe::new);
	}

	private ReactiveWebApplicationContextRunner reactiveRunner() {
		return ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(
					AutoConfigurations.of(DataRedisAutoConfiguration.class, DataRedisReactiveAutoConfiguration.class))
			.withPropertyValues("dexpace.token-cache.type=redis", "spring.data.redis.host=127.0.0.1",
					"spring.data.redis.port=" + redis.port());
	}

}
