package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RedisFaultGuard}, on a clock the test moves.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisFaultGuardTests {

	private final AtomicLong now = new AtomicLong(1_000);

	private final AtomicInteger runs = new AtomicInteger();

	private RedisFaultGuard guard = guard(Duration.ofSeconds(10));

	private final ThreadPoolExecutor executor = HandOffCacheCommands.executor(2);

	@AfterEach
	void close() {
		this.executor.shutdownNow();
	}

	@Test
	void aValueIsReturnedAndASuccessCounted() {
		assertThat(this.guard.<String>call("get", (deadline) -> "value")).isEqualTo("value");
		assertThat(this.guard.run("put", (deadline) -> this.runs.incrementAndGet())).isTrue();
		assertThat(this.guard.failures()).isZero();
	}

	@Test
	void aFailingOperationIsANullResultNotAnException() {
		assertThat(this.guard.<String>call("get", (deadline) -> {
			throw new IllegalStateException("down");
		})).isNull();
		assertThat(this.guard.run("put", (deadline) -> {
			throw new IllegalStateException("down");
		})).isFalse();
		assertThat(this.guard.failures()).isEqualTo(2);
	}

	@Test
	void consecutiveFailuresOpenTheCircuitAndLaterCallsSkipRedis() {
		failTimes(3);
		assertThat(this.guard.isOpen()).isTrue();
		assertThat(this.guard.run("get", (deadline) -> this.runs.incrementAndGet())).isFalse();
		assertThat(this.runs).hasValue(0);
		assertThat(this.guard.skipped()).isOne();
	}

	@Test
	void fewerFailuresThanTheThresholdKeepTheCircuitClosed() {
		failTimes(2);
		this.guard.run("get", (deadline) -> this.runs.incrementAndGet());
		failTimes(2);
		assertThat(this.guard.isOpen()).isFalse();
	}

	@Test
	void afterTheOpenDurationOneProbeRunsAndASuccessClosesTheCircuit() {
		failTimes(3);
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		assertThat(this.guard.run("get", (deadline) -> this.runs.incrementAndGet())).isTrue();
		assertThat(this.guard.isOpen()).isFalse();
		assertThat(this.guard.run("get", (deadline) -> this.runs.incrementAndGet())).isTrue();
		assertThat(this.runs).hasValue(2);
	}

	@Test
	void aFailedProbeOpensTheCircuitForAnotherPeriod() {
		failTimes(3);
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		failTimes(1);
		assertThat(this.guard.isOpen()).isTrue();
		this.now.addAndGet(Duration.ofSeconds(4).toNanos());
		assertThat(this.guard.run("get", (deadline) -> this.runs.incrementAndGet())).isFalse();
		this.now.addAndGet(Duration.ofSeconds(1).toNanos());
		assertThat(this.guard.run("get", (deadline) -> this.runs.incrementAndGet())).isTrue();
		assertThat(this.runs).hasValue(1);
	}

	@Test
	void whileAProbeRunsOtherCallsSkipRedis() throws Exception {
		failTimes(3);
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		CountDownLatch probing = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		CompletableFuture<Boolean> probe = CompletableFuture.supplyAsync(() -> this.guard.run("get", (deadline) -> {
			probing.countDown();
			awaitQuietly(release);
		}));
		assertThat(probing.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.guard.run("get", (deadline) -> this.runs.incrementAndGet())).isFalse();
		release.countDown();
		assertThat(probe.get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.runs).hasValue(0);
		assertThat(this.guard.isOpen()).isFalse();
	}

	@Test
	void aReplyThatOutlivesTheTimeoutIsAFailureAndIsCancelled() {
		this.guard = guard(Duration.ofMillis(50));
		CompletableFuture<String> reply = new CompletableFuture<>();
		assertThat(this.guard.<String>call("get", (deadline) -> deadline.await(reply))).isNull();
		assertThat(this.guard.failures()).isOne();
		assertThat(reply).isCancelled();
	}

	@Test
	void aHandedOffCommandThatOutlivesTheTimeoutIsAFailureAndIsInterrupted() throws Exception {
		this.guard = guard(Duration.ofMillis(50));
		CountDownLatch never = new CountDownLatch(1);
		CountDownLatch started = new CountDownLatch(1);
		CountDownLatch interrupted = new CountDownLatch(1);
		Callable<String> blocked = () -> {
			started.countDown();
			try {
				never.await();
			}
			catch (InterruptedException ex) {
				interrupted.countDown();
			}
			return "late";
		};
		assertThat(this.guard.<String>call("get",
				(deadline) -> deadline.await(HandOffCacheCommands.submit(this.executor, blocked))))
			.isNull();
		assertThat(this.guard.failures()).isOne();
		// The late command does not go on: interrupted if it had started, never run if
		// the deadline passed first (a busy machine may not start it within 50 ms). A
		// command that went on would hold its thread, and the pool would not terminate.
		this.executor.shutdown();
		assertThat(this.executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
		assertThat(started.getCount() == 1 || interrupted.getCount() == 0).isTrue();
	}

	@Test
	void whenEveryHandOffThreadIsBusyTheCallerRunsTheCommandItselfAndNothingFails() throws Exception {
		CountDownLatch busy = new CountDownLatch(2);
		CountDownLatch release = new CountDownLatch(1);
		for (int i = 0; i < 2; i++) {
			HandOffCacheCommands.submit(this.executor, () -> {
				busy.countDown();
				return release.await(10, TimeUnit.SECONDS);
			});
		}
		assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
		Thread caller = Thread.currentThread();
		for (int i = 0; i < 10; i++) {
			Thread ranOn = this.guard.call("get",
					(deadline) -> deadline.await(HandOffCacheCommands.submit(this.executor, Thread::currentThread)));
			assertThat(ranOn).isSameAs(caller);
		}
		release.countDown();
		assertThat(this.guard.failures()).isZero();
		assertThat(this.guard.isOpen()).isFalse();
	}

	@Test
	void aProbeIsNeitherCountedNorStoppedByAnOpenCircuit() {
		failTimes(3);
		assertThat(this.guard.probe((deadline) -> this.runs.incrementAndGet(), Duration.ofSeconds(1))).isTrue();
		assertThat(this.guard.probe((deadline) -> {
			throw new IllegalStateException("down");
		}, Duration.ofSeconds(1))).isFalse();
		assertThat(this.runs).hasValue(1);
		assertThat(this.guard.failures()).isEqualTo(3);
		assertThat(this.guard.isOpen()).isTrue();
	}

	@Test
	void anOutageIsLoggedOnceAndItsEndOnce(CapturedOutput output) {
		failTimes(3);
		for (int i = 0; i < 20; i++) {
			this.now.addAndGet(Duration.ofSeconds(5).toNanos());
			failTimes(1);
		}
		this.now.addAndGet(Duration.ofSeconds(5).toNanos());
		this.guard.run("get", (deadline) -> this.runs.incrementAndGet());
		this.guard.run("get", (deadline) -> this.runs.incrementAndGet());
		assertThat(output.getAll().split("Redis token cache get failed", -1)).hasSize(2);
		assertThat(output.getAll().split("Redis token cache recovered", -1)).hasSize(2);
		assertThat(output.getAll()).doesNotContain("secret-in-message");
	}

	private RedisFaultGuard guard(Duration timeout) {
		return new RedisFaultGuard(timeout, 3, Duration.ofSeconds(5), this.now::get);
	}

	private void failTimes(int times) {
		for (int i = 0; i < times; i++) {
			this.guard.run("get", (deadline) -> {
				throw new IllegalStateException("secret-in-message");
			});
		}
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
