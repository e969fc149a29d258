package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * The cache's commands on a client without asynchronous commands (Jedis): each runs
 * through a {@link RedisTemplate} on one of at most {@value #THREADS} daemon threads,
 * while the caller waits for it until the deadline.
 * <p>
 * Nothing waits in a queue: when every thread is busy, the caller runs the command
 * itself, bounded by the client's own timeout ({@code spring.data.redis.timeout}) rather
 * than the deadline. Local demand (a large request pool, a burst) is therefore never
 * counted as a Redis failure and never turns a hit into a miss; while Redis itself is
 * slow, the threads are busy with commands that time out, those failures open the
 * circuit, and the callers that ran a command themselves meanwhile wait no longer than
 * the client lets them. {@value #THREADS} threads cover the connections of a default
 * Jedis pool (8) twice over; beyond that, more threads would only wait for a pooled
 * connection.
 */
final class HandOffCacheCommands implements CacheCommands {

	static final int THREADS = 16;

	private final RedisTemplate<String, byte[]> redis;

	private final ThreadPoolExecutor executor;

	/**
	 * Send commands through a template on a connection factory.
	 * @param connectionFactory the connection factory
	 */
	HandOffCacheCommands(RedisConnectionFactory connectionFactory) {
		RedisTemplate<String, byte[]> template = new RedisTemplate<>();
		template.setConnectionFactory(connectionFactory);
		template.setEnableDefaultSerializer(false);
		template.setKeySerializer(RedisSerializer.string());
		template.setValueSerializer(RedisSerializer.byteArray());
		template.afterPropertiesSet();
		this.redis = template;
		this.executor = executor(THREADS);
	}

	/**
	 * A pool that never queues: a command runs on an idle (or new) thread or is rejected.
	 * @param threads the most threads
	 * @return the pool
	 */
	static ThreadPoolExecutor executor(int threads) {
		AtomicInteger count = new AtomicInteger();
		return new ThreadPoolExecutor(0, threads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), (runnable) -> {
			Thread thread = new Thread(runnable, "dexpace-token-cache-redis-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
	}

	/**
	 * Run a command on an idle thread of the pool, or on the caller's thread when there
	 * is none.
	 * @param <T> the type of the reply
	 * @param executor the pool
	 * @param command the command
	 * @return the pending reply; already complete when the caller ran it
	 */
	static <T> Future<T> submit(ThreadPoolExecutor executor, Callable<T> command) {
		try {
			return executor.submit(command);
		}
		catch (RejectedExecutionException ex) {
			// Saturated here, not in Redis: not a reason to skip Redis.
			try {
				return CompletableFuture.completedFuture(command.call());
			}
			catch (Exception failure) {
				return CompletableFuture.failedFuture(failure);
			}
		}
	}

	@Override
	public byte @Nullable [] get(String key, Deadline deadline) throws Exception {
		return deadline.await(submit(this.executor, () -> this.redis.opsForValue().get(key)));
	}

	@Override
	public ValueAndTtl getWithTtl(String key, Deadline deadline) throws Exception {
		byte[] rawKey = key.getBytes(StandardCharsets.UTF_8);
		return deadline.await(submit(this.executor, () -> this.redis.execute((RedisConnection connection) -> {
			byte[] value = connection.stringCommands().get(rawKey);
			Long pttl = (value != null) ? connection.keyCommands().pTtl(rawKey) : null;
			return new ValueAndTtl(value, (pttl != null) ? pttl : -2);
		})));
	}

	@Override
	public void set(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception {
		deadline.await(submit(this.executor, () -> {
			this.redis.opsForValue().set(key, value, ttlMillis, TimeUnit.MILLISECONDS);
			return Boolean.TRUE;
		}));
	}

	@Override
	public boolean setIfAbsent(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception {
		return Boolean.TRUE.equals(deadline.await(submit(this.executor,
				() -> this.redis.opsForValue().setIfAbsent(key, value, ttlMillis, TimeUnit.MILLISECONDS))));
	}

	@Override
	public void unlink(String key, Deadline deadline) throws Exception {
		deadline.await(submit(this.executor, () -> this.redis.unlink(key)));
	}

	@Override
	public void compareAndDelete(String key, byte[] expected, Deadline deadline) throws Exception {
		deadline.await(submit(this.executor,
				() -> this.redis.execute(COMPARE_AND_DELETE, List.of(key), (Object) expected)));
	}

	@Override
	public void publish(String channel, byte[] message, Deadline deadline) throws Exception {
		deadline.await(submit(this.executor, () -> {
			this.redis.convertAndSend(channel, message);
			return Boolean.TRUE;
		}));
	}

	@Override
	public void ping(Deadline deadline) throws Exception {
		// A health check must answer in time: no idle thread, no answer.
		deadline.await(this.executor.submit(() -> this.redis.execute((RedisCallback<String>) RedisConnection::ping)));
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
