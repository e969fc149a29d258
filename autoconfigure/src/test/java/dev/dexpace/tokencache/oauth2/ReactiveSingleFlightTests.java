package dev.dexpace.tokencache.oauth2;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReactiveSingleFlight}, on actions the test completes by hand.
 */
class ReactiveSingleFlightTests {

	private final ReactiveSingleFlight<String, String> flights = new ReactiveSingleFlight<>();

	private final AtomicInteger runs = new AtomicInteger();

	private final AtomicInteger cancelled = new AtomicInteger();

	private final Sinks.One<String> result = Sinks.one();

	private Mono<String> action() {
		this.runs.incrementAndGet();
		return this.result.asMono().doOnCancel(this.cancelled::incrementAndGet);
	}

	@Test
	void subscribersOfOneKeyShareOneRun() {
		List<String> values = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			this.flights.run("k", this::action).subscribe(values::add);
		}
		assertThat(this.runs).hasValue(1);
		assertThat(this.flights.size()).isOne();
		this.result.tryEmitValue("token");
		assertThat(values).hasSize(10).containsOnly("token");
		assertThat(this.flights.size()).isZero();
	}

	@Test
	void differentKeysRunSeparately() {
		this.flights.run("a", this::action).subscribe();
		this.flights.run("b", this::action).subscribe();
		assertThat(this.runs).hasValue(2);
	}

	@Test
	void aCancelledSubscriberNeitherCancelsTheRunNorMissesItForTheOthers() {
		Disposable first = this.flights.run("k", this::action).subscribe();
		AtomicReference<String> second = new AtomicReference<>();
		this.flights.run("k", this::action).subscribe(second::set);
		first.dispose();
		assertThat(this.cancelled).hasValue(0);
		this.result.tryEmitValue("token");
		assertThat(second).hasValue("token");
		assertThat(this.flights.size()).isZero();
	}

	@Test
	void whenEverySubscriberCancelsTheRunStillEndsAndLeavesTheTable() {
		Disposable first = this.flights.run("k", this::action).subscribe();
		Disposable second = this.flights.run("k", this::action).subscribe();
		first.dispose();
		second.dispose();
		assertThat(this.cancelled).hasValue(0);
		assertThat(this.flights.size()).isOne();
		this.result.tryEmitValue("token");
		assertThat(this.flights.size()).isZero();
		// The next subscriber starts a new run instead of joining a finished one.
		this.flights.run("k", () -> Mono.just("next")).subscribe();
		assertThat(this.flights.size()).isZero();
	}

	@Test
	void anErrorReachesEverySubscriberAndLeavesTheTable() {
		List<Throwable> errors = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			this.flights.run("k", this::action).subscribe((value) -> {
			}, errors::add);
		}
		this.result.tryEmitError(new IllegalStateException("boom"));
		assertThat(errors).hasSize(3).allMatch((ex) -> "boom".equals(ex.getMessage()));
		assertThat(this.flights.size()).isZero();
	}

	@Test
	void anEmptyRunCompletesEverySubscriberEmpty() {
		AtomicInteger completed = new AtomicInteger();
		for (int i = 0; i < 3; i++) {
			this.flights.run("k", this::action).subscribe((value) -> {
			}, (ex) -> {
			}, completed::incrementAndGet);
		}
		this.result.tryEmitEmpty();
		assertThat(completed).hasValue(3);
		assertThat(this.flights.size()).isZero();
	}

	@Test
	void anActionThatThrowsFailsItsSubscribersAndLeavesTheTable() {
		AtomicReference<Throwable> error = new AtomicReference<>();
		this.flights.run("k", () -> {
			throw new IllegalStateException("thrown");
		}).subscribe((value) -> {
		}, error::set);
		assertThat(error.get()).hasMessage("thrown");
		assertThat(this.flights.size()).isZero();
	}

}
