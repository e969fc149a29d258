package dev.dexpace.tokencache.test;

import java.time.Duration;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Runs one try of a property within a time bound, so that an input that makes the code
 * under test loop or block fails the property instead of hanging the build. jqwik has no
 * timeout of its own; JUnit Jupiter's preemptive timeout works from any thread.
 */
public final class Bounded {

	/**
	 * The bound of one try: generous, since a try does microseconds of work.
	 */
	public static final Duration TRY = Duration.ofSeconds(5);

	private Bounded() {
	}

	/**
	 * Run the action, failing if it takes longer than {@link #TRY}.
	 * @param <T> the result type
	 * @param action the action
	 * @return its result
	 */
	public static <T> T within(Callable<T> action) {
		return assertTimeoutPreemptively(TRY, action::call, "one try took longer than " + TRY);
	}

}
