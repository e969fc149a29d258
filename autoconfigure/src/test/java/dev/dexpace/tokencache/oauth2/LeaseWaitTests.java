package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a waiter paces its polls for another instance's token, and when it gives up.
 */
class LeaseWaitTests {

	private final AtomicLong nanos = new AtomicLong(5_000_000_000L);

	@Test
	void delaysStartShortDoubleAndStayBetweenHalfAndAllOfTheirCeiling() {
		LeaseWait wait = new LeaseWait(Duration.ofSeconds(5), this.nanos::get);
		long ceiling = LeaseWait.FIRST_DELAY_MILLIS;
		for (int poll = 0; poll < 12; poll++) {
			long delay = wait.nextDelayMillis();
			assertThat(delay).as("poll %d", poll).isBetween(ceiling / 2, ceiling);
			ceiling = Math.min(LeaseWait.MAX_DELAY_MILLIS, ceiling * 2);
		}
		assertThat(wait.polls()).isEqualTo(12);
	}

	@Test
	void theWaitEndsAfterTwiceTheLease() {
		LeaseWait wait = new LeaseWait(Duration.ofSeconds(5), this.nanos::get);
		this.nanos.addAndGet(Duration.ofMillis(9_999).toNanos());
		assertThat(wait.isOver()).isFalse();
		assertThat(wait.nextDelayMillis()).as("never past the end of the wait").isLessThanOrEqualTo(1);
		this.nanos.addAndGet(Duration.ofMillis(1).toNanos());
		assertThat(wait.isOver()).isTrue();
	}

}
