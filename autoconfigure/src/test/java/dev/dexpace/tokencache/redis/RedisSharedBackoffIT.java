package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Instances of a fleet on one real Redis wait together when the token endpoint answers
 * {@code 503} with {@code Retry-After}: the instance that was answered publishes the
 * wait, and the others fail at once without a token request of their own, whichever of
 * the two Redis caches (blocking, reactive) each one runs. The endpoint fails only once,
 * so an instance that did not honour the shared wait would get a token.
 */
class RedisSharedBackoffIT extends RedisProcessTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private static final String BUSY_ERROR = "{\"error\":\"temporarily_unavailable\"}";

	@Test
	void aSecondBlockingInstanceMakesNoTokenRequestDuringTheRetryAfterTheFirstWasAnswered() {
		ApplicationContextRunner runner = RedisContexts.runner(this.idp, redis.port());
		runner.run((a) -> runner.run((b) -> {
			RestClient first = TokenCacheContexts.restClient(a);
			RestClient second = TokenCacheContexts.restClient(b);
			assertSharedWait(() -> RedisContexts.callApi(first, this.idp),
					() -> RedisContexts.callApi(second, this.idp));
		}));
	}

	@Test
	void aBlockingInstanceHonoursTheWaitAReactiveInstanceWasAskedFor() {
		runBoth((blocking, reactive) -> assertSharedWait(
				() -> ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT),
				() -> RedisContexts.callApi(blocking, this.idp)));
	}

	@Test
	void aReactiveInstanceHonoursTheWaitABlockingInstanceWasAskedFor() {
		runBoth((blocking, reactive) -> assertSharedWait(() -> RedisContexts.callApi(blocking, this.idp),
				() -> ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT)));
	}

	private void assertSharedWait(Runnable first, Runnable second) {
		this.idp.failTokenRequests(1, 503, Map.of("Retry-After", "30"), BUSY_ERROR);
		assertThat(busy(catchThrowable(first::run))).as("the first instance's failure").isNotNull();
		assertThat(this.idp.tokenRequests()).isOne();
		// By SCAN, as RawRedis does: KEYS changed its Java signature in Lettuce 7 (Boot 4.1).
		List<String> waits = this.raw.keys()
			.stream()
			.filter((key) -> key.startsWith("dexpace:token-cache:backoff:"))
			.toList();
		assertThat(waits).as("waits in Redis").hasSize(1);
		assertThat(this.raw.pttl(waits.get(0))).isBetween(1L, 30_000L);
		for (int i = 0; i < 10; i++) {
			TokenEndpointBusyException busy = busy(catchThrowable(second::run));
			assertThat(busy).as("the second instance's failure").isNotNull();
			assertThat(busy.getRetryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30));
		}
		assertThat(this.idp.tokenRequests()).as("token requests of both instances").isOne();
		assertThat(this.idp.apiCalls()).isZero();
	}

	private void runBoth(Fleet fleet) {
		ApplicationContextRunner blockingRunner = RedisContexts.runner(this.idp, redis.port());
		ReactiveWebApplicationContextRunner reactiveRunner = ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(
					AutoConfigurations.of(DataRedisAutoConfiguration.class, DataRedisReactiveAutoConfiguration.class))
			.withPropertyValues("dexpace.token-cache.type=redis", "spring.data.redis.host=127.0.0.1",
					"spring.data.redis.port=" + redis.port(), "dexpace.token-cache.redis.timeout=5s");
		blockingRunner.run((blocking) -> reactiveRunner.run((reactive) -> fleet.call(
				TokenCacheContexts.restClient(blocking), ReactiveTokenCacheContexts.webClient(reactive))));
	}

	private static TokenEndpointBusyException busy(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof TokenEndpointBusyException busy) {
				return busy;
			}
		}
		return null;
	}

	@FunctionalInterface
	private interface Fleet {

		void call(RestClient blocking, WebClient reactive);

	}

}
