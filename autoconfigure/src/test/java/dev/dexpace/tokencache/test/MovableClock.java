package dev.dexpace.tokencache.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A wall clock a test moves, usually together with a cache's ticker.
 */
public final class MovableClock extends Clock {

	private volatile Instant now;

	/**
	 * Create a clock that stands at the given time.
	 * @param now the time
	 */
	public MovableClock(Instant now) {
		this.now = now;
	}

	/**
	 * Move the clock.
	 * @param duration how far; negative moves it back
	 */
	public void advance(Duration duration) {
		this.now = this.now.plus(duration);
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return this;
	}

	@Override
	public Instant instant() {
		return this.now;
	}

}
