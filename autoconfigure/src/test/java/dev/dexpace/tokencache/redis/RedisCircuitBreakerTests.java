package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RedisCircuitBreaker}, on a clock the test moves.
 */
class RedisCircuitBreakerTests {

	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final RedisCircuitBreaker breaker = new RedisCircuitBreaker(2, Duration.ofSeconds(5), this.now::get);

	@Test
	void opensAfterTheThresholdAndLetsOneProbeThroughAfterTheOpenDuration() {
		fail();
		fail();
		assertThat(this.breaker.isOpen()).isTrue();
		assertThat(this.breaker.permit()).isFalse();
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		assertThat(this.breaker.permit()).as("the probe").isTrue();
		assertThat(this.breaker.permit()).as("a second caller during the probe").isFalse();
		this.breaker.succeeded(this.breaker.now());
		assertThat(this.breaker.isOpen()).isFalse();
		assertThat(this.breaker.skipped()).isEqualTo(2);
	}

	@Test
	void aProbeThatNeverReportsDoesNotHoldTheBreakerHalfOpenForGood() {
		fail();
		fail();
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		assertThat(this.breaker.permit()).as("a probe whose subscriber cancels").isTrue();
		assertThat(this.breaker.permit()).isFalse();
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		assertThat(this.breaker.permit()).as("the next probe").isTrue();
	}

	@Test
	void aSuccessOfAnOperationThatStartedBeforeTheLastFailureClosesNothing() {
		long started = this.breaker.now();
		this.now.incrementAndGet();
		fail();
		fail();
		this.breaker.succeeded(started);
		assertThat(this.breaker.isOpen()).isTrue();
	}

	private void fail() {
		this.now.incrementAndGet();
		this.breaker.failed("get", new IllegalStateException("down"));
	}

}
