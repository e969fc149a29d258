package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.Base64;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A blocking (RestClient) and a reactive (WebClient) instance of one fleet on one real
 * Redis: a token fetched by either is used by the other, and a 401 seen by either retires
 * it for both, with plain and with sealed values.
 */
@ExtendWith(OutputCaptureExtension.class)
class ReactiveRedisFleetIT {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private static RedisProcess redis;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@BeforeAll
	static void startRedis() {
		redis = RedisProcess.launch();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@BeforeEach
	void flush() {
		try (RawRedis raw = new RawRedis(redis.port())) {
			raw.commands().flushall();
		}
	}

	@AfterEach
	void close(CapturedOutput output) {
		this.idp.close();
		for (String token : this.idp.issuedTokens()) {
			assertThat(output.getAll()).doesNotContain(token);
		}
	}

	@Test
	void aReactiveInstanceUsesTheBlockingInstancesTokenAndA401RetiresItForBoth() {
		runBoth(new String[0], (blocking, reactive) -> {
			RedisContexts.callApi(blocking, this.idp);
			assertThat(this.idp.tokenRequests()).isOne();
			ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).as("token requests after the reactive call").isOne();

			String first = this.idp.issuedTokens().iterator().next();
			this.idp.revoke(first);
			// The reactive instance is rejected, deletes the token in Redis, fetches anew and retries.
			ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			// The blocking instance never sends the revoked token again.
			RedisContexts.callApi(blocking, this.idp);
			RedisContexts.callApi(blocking, this.idp);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
		});
	}

	@Test
	void aBlockingInstanceUsesTheReactiveInstancesSealedTokenAndA401RetiresItForBoth() {
		String key = "dexpace.token-cache.redis.encryption-key="
				+ Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
		runBoth(new String[] { key }, (blocking, reactive) -> {
			ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT);
			RedisContexts.callApi(blocking, this.idp);
			assertThat(this.idp.tokenRequests()).isOne();

			String first = this.idp.issuedTokens().iterator().next();
			this.idp.revoke(first);
			RedisContexts.callApi(blocking, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT);
			ReactiveTokenCacheContexts.callApi(reactive, this.idp).block(WAIT);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
		});
	}

	private void runBoth(String[] properties, Fleet fleet) {
		ApplicationContextRunner blockingRunner = RedisContexts.runner(this.idp, redis.port())
			.withPropertyValues(properties);
		ReactiveWebApplicationContextRunner reactiveRunner = ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(
					AutoConfigurations.of(DataRedisAutoConfiguration.class, DataRedisReactiveAutoConfiguration.class))
			.withPropertyValues("dexpace.token-cache.type=redis", "spring.data.redis.host=127.0.0.1",
					"spring.data.redis.port=" + redis.port())
			.withPropertyValues(properties);
		blockingRunner.run((blocking) -> reactiveRunner.run((reactive) -> {
			assertThat(reactive.getBean(ReactiveTokenCache.class)).isInstanceOf(ReactiveRedisTokenCache.class);
			fleet.call(TokenCacheContexts.restClient(blocking), ReactiveTokenCacheContexts.webClient(reactive));
		}));
	}

	@FunctionalInterface
	private interface Fleet {

		void call(RestClient blocking, WebClient reactive);

	}

}
