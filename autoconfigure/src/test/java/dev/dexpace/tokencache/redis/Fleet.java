package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;

import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * Helpers for fleet tests: many threads of several application contexts calling
 * together, a probe that tells when a context has missed, and Redis command counts.
 */
final class Fleet {

	static final Duration WAIT = Duration.ofSeconds(30);

	private Fleet() {
	}

	/**
	 * Start {@code threadsPerContext} threads on each context that call the API
	 * {@code calls} times each, all released together by a barrier.
	 * @param pool the pool to run them on, big enough for all threads
	 * @param idp the identity provider
	 * @param threadsPerContext threads per context
	 * @param calls calls per thread
	 * @param contexts the contexts
	 * @return one future per thread
	 */
	static List<Future<?>> callTogether(ExecutorService pool, TestIdentityProvider idp, int threadsPerContext,
			int calls, ApplicationContext... contexts) {
		int threads = contexts.length * threadsPerContext;
		CyclicBarrier start = new CyclicBarrier(threads);
		List<Future<?>> futures = new ArrayList<>();
		for (int i = 0; i < threads; i++) {
			RestClient client = TokenCacheContexts.restClient(contexts[i % contexts.length]);
			futures.add(pool.submit(() -> {
				start.await(WAIT.toSeconds(), TimeUnit.SECONDS);
				for (int call = 0; call < calls; call++) {
					RedisContexts.callApi(client, idp);
				}
				return null;
			}));
		}
		return futures;
	}

	/**
	 * Wait for every future and count the ones that failed.
	 * @param futures the futures
	 * @return the number of failed calls
	 */
	static int failures(List<Future<?>> futures) throws InterruptedException {
		int failed = 0;
		for (Future<?> future : futures) {
			try {
				future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
			}
			catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
				failed++;
			}
		}
		return failed;
	}

	static ExecutorService pool(int threads) {
		return Executors.newFixedThreadPool(threads);
	}

	/**
	 * Return how often Redis ran each command since the last stats reset, leaving out
	 * {@code INFO} and {@code CONFIG} that the test itself sends.
	 * @param raw the raw client
	 * @return calls by command
	 */
	static Map<String, Long> commandStats(RawRedis raw) {
		Map<String, Long> stats = new LinkedHashMap<>();
		Matcher matcher = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)").matcher(raw.commandStats());
		while (matcher.find()) {
			String command = matcher.group(1);
			if (!command.equals("info") && !command.startsWith("config")) {
				stats.put(command, Long.parseLong(matcher.group(2)));
			}
		}
		return stats;
	}

	/**
	 * A listener bean, one per context, that counts the context's cache misses and lets a
	 * test wait for the first one.
	 */
	static final class MissProbe implements TokenCacheListener {

		private final CountDownLatch missed = new CountDownLatch(1);

		private final AtomicInteger misses = new AtomicInteger();

		@Override
		public void lookup(TokenKind kind, boolean hit) {
			if (!hit) {
				this.misses.incrementAndGet();
				this.missed.countDown();
			}
		}

		boolean awaitMiss() throws InterruptedException {
			return this.missed.await(WAIT.toSeconds(), TimeUnit.SECONDS);
		}

		int misses() {
			return this.misses.get();
		}

	}

	/**
	 * Records how the waits of one instance for another instance's lease ended.
	 */
	static final class LeaseWaits implements TokenCacheListener {

		private final List<LeaseWaitOutcome> outcomes = new CopyOnWriteArrayList<>();

		@Override
		public void leaseWaited(TokenKind kind, LeaseWaitOutcome outcome) {
			this.outcomes.add(outcome);
		}

		/**
		 * Count the waits with an outcome across instances.
		 * @param outcome the outcome
		 * @param contexts the instances
		 * @return the number of waits that ended so
		 */
		static long count(LeaseWaitOutcome outcome, ApplicationContext... contexts) {
			return Arrays.stream(contexts)
				.flatMap((context) -> context.getBean(LeaseWaits.class).outcomes.stream())
				.filter(outcome::equals)
				.count();
		}

	}

}
