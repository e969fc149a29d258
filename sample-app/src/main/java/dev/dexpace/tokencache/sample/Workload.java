package dev.dexpace.tokencache.sample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;

import org.springframework.web.client.RestClientResponseException;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/**
 * Makes a fixed number of API calls from a pool of threads that all start at once, each
 * call for one of a set of users in turn, and measures what it cost.
 */
final class Workload {

	private final int calls;

	private final int threads;

	private final int users;

	private final TokenRequestCounter tokenRequests;

	Workload(int calls, int threads, int users, TokenRequestCounter tokenRequests) {
		this.calls = calls;
		this.threads = threads;
		this.users = users;
		this.tokenRequests = tokenRequests;
	}

	ScenarioResult run(Call client) {
		ExecutorService executor = Executors.newFixedThreadPool(this.threads);
		try {
			return run(client, executor);
		}
		finally {
			executor.shutdownNow();
		}
	}

	private ScenarioResult run(Call client, ExecutorService executor) {
		CountDownLatch ready = new CountDownLatch(this.threads);
		CountDownLatch start = new CountDownLatch(1);
		AtomicInteger next = new AtomicInteger();
		AtomicInteger failed = new AtomicInteger();
		AtomicReference<@Nullable String> firstFailure = new AtomicReference<>();
		List<Future<?>> workers = new ArrayList<>();
		for (int i = 0; i < this.threads; i++) {
			workers.add(executor.submit(() -> {
				ready.countDown();
				start.await();
				for (int call = next.getAndIncrement(); call < this.calls; call = next.getAndIncrement()) {
					try {
						client.call(user(call));
					}
					catch (RuntimeException ex) {
						failed.incrementAndGet();
						firstFailure.compareAndSet(null, describe(ex));
					}
				}
				return null;
			}));
		}
		await(ready);
		long tokenRequestsBefore = this.tokenRequests.count();
		long startedAt = System.nanoTime();
		start.countDown();
		for (Future<?> worker : workers) {
			await(worker);
		}
		Duration time = Duration.ofNanos(System.nanoTime() - startedAt);
		long tokenRequests = this.tokenRequests.count() - tokenRequestsBefore;
		return new ScenarioResult(this.calls, failed.get(), tokenRequests, time, firstFailure.get());
	}

	private String user(int call) {
		return userName(call % this.users);
	}

	/**
	 * Return the name of the given user.
	 * @param user the user, counting from 0
	 * @return the user's name
	 */
	static String userName(int user) {
		return "user-" + user;
	}

	/**
	 * Describe a failure by its status or type only: a message could quote a response.
	 */
	private static String describe(RuntimeException ex) {
		if (ex instanceof RestClientResponseException status) {
			return "HTTP " + status.getStatusCode().value();
		}
		if (ex instanceof WebClientResponseException status) {
			return "HTTP " + status.getStatusCode().value();
		}
		return ex.getClass().getSimpleName();
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while starting the workload", ex);
		}
	}

	private static void await(Future<?> worker) {
		try {
			worker.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while running the workload", ex);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException("A workload thread failed", ex.getCause());
		}
	}

	/**
	 * One API call through one client, made for the given user.
	 */
	@FunctionalInterface
	interface Call {

		/**
		 * Call the API and read the response, or throw if the call fails.
		 * @param user the name of the user the call is made for
		 */
		void call(String user);

	}

	/**
	 * What one run of the workload cost.
	 *
	 * @param calls the calls made
	 * @param failedCalls the calls that did not get a successful response
	 * @param tokenRequests the requests the token endpoint received during the run
	 * @param time the wall-clock time of the run
	 * @param firstFailure the status or exception type of the first failed call
	 */
	record ScenarioResult(int calls, int failedCalls, long tokenRequests, Duration time,
			@Nullable String firstFailure) {

	}

}
