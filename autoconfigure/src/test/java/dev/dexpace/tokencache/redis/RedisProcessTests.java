package dev.dexpace.tokencache.redis;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The set-up the fleet tests share: one real {@code redis-server} per test class, emptied
 * before each test, a token endpoint per test, and after each test a check that no token
 * it issued was printed.
 */
@ExtendWith(OutputCaptureExtension.class)
abstract class RedisProcessTests {

	static RedisProcess redis;

	final TestIdentityProvider idp = new TestIdentityProvider();

	RawRedis raw;

	@BeforeAll
	static void startRedis() {
		redis = RedisProcess.launch();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@BeforeEach
	void connectAndEmptyRedis() {
		this.raw = new RawRedis(redis.port());
		this.raw.commands().flushall();
	}

	@AfterEach
	void closeAndCheckNoTokenWasPrinted(CapturedOutput output) {
		this.raw.close();
		this.idp.close();
		for (String token : this.idp.issuedTokens()) {
			assertThat(output.getAll()).doesNotContain(token);
		}
	}

}
