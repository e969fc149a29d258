package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Runs token refreshes off the callers' threads: at most one per key at a time, started
 * on a small bounded pool, with failed attempts tried again after a growing, jittered delay
 * for as long as the refresh asks for it.
 */
final class BackgroundRefresher implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(BackgroundRefresher.class);

	static final int THREADS = 4;

	static final int QUEUE_CAPACITY = 256;

	/**
	 * A bound on keys whose refresh was given up, in case a custom key resolver mints
	 * many keys.
	 */
	static final int MAX_PAUSED = 4096;

	private final ConcurrentMap<TokenKey, Boolean> active = new ConcurrentHashMap<>();

	private final ConcurrentMap<TokenKey, Long> paused = new ConcurrentHashMap<>();

	private final ThreadPoolExecutor executor;

	private final ScheduledExecutorService retries;

	BackgroundRefresher() {
		this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(QUEUE_CAPACITY), daemonThreads("token-cache-refresh-"));
		this.executor.allowCoreThreadTimeOut(true);
		ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemonThreads("token-cache-refresh-timer-"));
		// Timers of replaced tokens are cancelled: do not keep them until they were due.
		timer.setRemoveOnCancelPolicy(true);
		this.retries = timer;
	}

	/**
	 * Return whether a refresh for the key is queued, running or waiting to be retried.
	 * @param key the key
	 * @return whether a refresh is active
	 */
	boolean isActive(TokenKey key) {
		return this.active.containsKey(key);
	}

	/**
	 * Start a refresh for the key unless one is active already or refreshes of the key
	 * are paused. When the pool is saturated the refresh is dropped; a later call starts
	 * it again.
	 * @param key the key
	 * @param nowMillis the current epoch millisecond
	 * @param refresh the refresh
	 * @return whether this call started it
	 */
	boolean start(TokenKey key, long nowMillis, Refresh refresh) {
		if (this.active.containsKey(key) || isPaused(key, nowMillis)
				|| this.active.putIfAbsent(key, Boolean.TRUE) != null) {
			return false;
		}
		submit(key, refresh, 0);
		return true;
	}

	/**
	 * Start no background refresh of the key before the given moment: used after an
	 * error that trying again cannot heal, so hits do not turn into a request loop.
	 * @param key the key
	 * @param untilMillis the epoch millisecond from which refreshes may start again
	 */
	void pause(TokenKey key, long untilMillis) {
		if (this.paused.size() >= MAX_PAUSED) {
			this.paused.clear();
		}
		this.paused.put(key, untilMillis);
	}

	private boolean isPaused(TokenKey key, long nowMillis) {
		Long until = this.paused.get(key);
		if (until == null) {
			return false;
		}
		if (nowMillis < until) {
			return true;
		}
		this.paused.remove(key, until);
		return false;
	}

	private void submit(TokenKey key, Refresh refresh, int attempt) {
		try {
			this.executor.execute(() -> run(key, refresh, attempt));
		}
		catch (RejectedExecutionException ex) {
			this.active.remove(key);
		}
	}

	private void run(TokenKey key, Refresh refresh, int attempt) {
		AtomicBoolean ended = new AtomicBoolean();
		LongConsumer outcome = (notBeforeMillis) -> {
			if (ended.compareAndSet(false, true)) {
				ended(key, refresh, attempt, notBeforeMillis);
			}
		};
		try {
			refresh.attempt(attempt, outcome);
		}
		catch (RuntimeException ex) {
			outcome.accept(Refresh.DONE);
		}
	}

	private void ended(TokenKey key, Refresh refresh, int attempt, long notBeforeMillis) {
		if (notBeforeMillis < 0) {
			this.active.remove(key);
			return;
		}
		// The backoff, or longer when the identity provider asked for it (Retry-After).
		long delay = Math.max(notBeforeMillis, RefreshSchedule.retryDelayMillis(attempt));
		try {
			this.retries.schedule(() -> submit(key, refresh, attempt + 1), delay, TimeUnit.MILLISECONDS);
		}
		catch (RejectedExecutionException ex) {
			this.active.remove(key);
		}
	}

	/**
	 * Tell the refresher that an attempt to refresh a key succeeded, for the log.
	 * @param key the key
	 * @param attempt how many attempts failed before this one
	 * @return {@link Refresh#DONE}
	 */
	long succeeded(TokenKey key, int attempt) {
		if (attempt > 0 && logger.isInfoEnabled()) {
			logger.info("Token request for " + key + " succeeded again after " + attempt + " failed attempts");
		}
		return Refresh.DONE;
	}

	/**
	 * Decide what follows a failed attempt to refresh a token: an error the identity
	 * provider will repeat ends the refresh and pauses refreshes of the key until the token
	 * leaves the cache (hits keep it without asking again); any other error is tried again
	 * while the token is still usable, no sooner than a {@code Retry-After} asked.
	 * @param key the key
	 * @param failure what the attempt threw
	 * @param current the token being refreshed
	 * @param attempt how many attempts failed before this one
	 * @param expiryBuffer how long before its real expiry the cache drops a token
	 * @param clock the clock
	 * @return {@link Refresh#DONE}, or how long at least to wait before trying again
	 */
	long failed(TokenKey key, Throwable failure, CachedToken current, int attempt, Duration expiryBuffer,
			Clock clock) {
		if (TokenRequestErrors.isPermanent(failure)) {
			logger.warn("Background token request for " + key + " failed (" + TokenRequestErrors.describe(failure)
					+ "); not retrying an error the identity provider will repeat");
			pause(key, current.expiresAt().toEpochMilli() - expiryBuffer.toMillis());
			return Refresh.DONE;
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Background token request for " + key + " failed (" + TokenRequestErrors.describe(failure)
					+ "), attempt " + (attempt + 1));
		}
		if (clock.millis() >= RefreshSchedule.usableUntilMillis(current)) {
			return Refresh.DONE;
		}
		return TokenRequestErrors.retryAfterMillis(failure, clock.instant());
	}

	/**
	 * Run an action after a delay on the refresher's timer thread. The action must be
	 * quick: it shares the thread with the retries.
	 * @param action the action
	 * @param delayMillis the delay in milliseconds
	 * @return a handle to cancel it, or {@code null} once the refresher is closed
	 */
	@Nullable Future<?> schedule(Runnable action, long delayMillis) {
		try {
			return this.retries.schedule(action, delayMillis, TimeUnit.MILLISECONDS);
		}
		catch (RejectedExecutionException ex) {
			return null;
		}
	}

	@Override
	public void close() {
		this.retries.shutdownNow();
		this.executor.shutdownNow();
	}

	private static ThreadFactory daemonThreads(String prefix) {
		AtomicInteger count = new AtomicInteger();
		return (runnable) -> {
			Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	/**
	 * One refresh, tried once per attempt. An attempt may end on another thread than the
	 * refresher's (a reactive token request ends where its response arrives), so no
	 * refresher thread waits for the identity provider unless the attempt itself blocks.
	 */
	@FunctionalInterface
	interface Refresh {

		/**
		 * The outcome of an attempt when the refresh is done, whether it succeeded or gave
		 * up.
		 */
		long DONE = -1;

		/**
		 * Try the refresh once.
		 * @param attempt how many attempts failed before this one
		 * @param outcome to be called once when the attempt ends, with {@link #DONE} or
		 * the least number of milliseconds to wait before the next attempt ({@code 0}:
		 * the backoff alone decides)
		 */
		void attempt(int attempt, LongConsumer outcome);

	}

}
