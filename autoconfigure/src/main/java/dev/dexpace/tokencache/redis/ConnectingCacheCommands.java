package dev.dexpace.tokencache.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * The cache's commands, connected on first use (at start-up, by the warm-up) and again
 * whenever the connection was closed for good.
 * <p>
 * Taking a connection from a factory may lock and, the first time, connect, for as long
 * as the client's connect timeout: that happens on a thread of its own, one attempt at a
 * time, while callers wait for it no longer than their deadline (a failure of Redis like
 * any other). Once connected, commands are sent from the caller's thread.
 */
final class ConnectingCacheCommands implements CacheCommands {

	private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent(
			"io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands", ConnectingCacheCommands.class.getClassLoader());

	private static final Executor CONNECTOR = (runnable) -> {
		Thread thread = new Thread(runnable, "dexpace-token-cache-redis-connect");
		thread.setDaemon(true);
		thread.start();
	};

	private final RedisConnectionFactory connectionFactory;

	private final Object monitor = new Object();

	private volatile @Nullable CacheCommands commands;

	private @Nullable CompletableFuture<CacheCommands> connecting;

	private boolean closed;

	ConnectingCacheCommands(RedisConnectionFactory connectionFactory) {
		this.connectionFactory = connectionFactory;
	}

	@Override
	public byte @Nullable [] get(String key, Deadline deadline) throws Exception {
		return commands(deadline).get(key, deadline);
	}

	@Override
	public ValueAndTtl getWithTtl(String key, Deadline deadline) throws Exception {
		return commands(deadline).getWithTtl(key, deadline);
	}

	@Override
	public void set(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception {
		commands(deadline).set(key, value, ttlMillis, deadline);
	}

	@Override
	public boolean setIfAbsent(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception {
		return commands(deadline).setIfAbsent(key, value, ttlMillis, deadline);
	}

	@Override
	public void unlink(String key, Deadline deadline) throws Exception {
		commands(deadline).unlink(key, deadline);
	}

	@Override
	public void compareAndDelete(String key, byte[] expected, Deadline deadline) throws Exception {
		commands(deadline).compareAndDelete(key, expected, deadline);
	}

	@Override
	public void publish(String channel, byte[] message, Deadline deadline) throws Exception {
		commands(deadline).publish(channel, message, deadline);
	}

	@Override
	public void ping(Deadline deadline) throws Exception {
		commands(deadline).ping(deadline);
	}

	private CacheCommands commands(Deadline deadline) throws Exception {
		CacheCommands current = this.commands;
		if (current != null && usable(current)) {
			return current;
		}
		// A copy: a caller that gives up cancels its own wait, not the attempt others share.
		return deadline.await(connection().copy());
	}

	private CompletableFuture<CacheCommands> connection() {
		synchronized (this.monitor) {
			if (this.closed) {
				return CompletableFuture.failedFuture(new IllegalStateException("The token cache is closed"));
			}
			CompletableFuture<CacheCommands> attempt = this.connecting;
			if (attempt != null && (!attempt.isDone() || (!attempt.isCompletedExceptionally() && usable(attempt.join())))) {
				return attempt;
			}
			CacheCommands stale = this.commands;
			this.commands = null;
			if (stale != null) {
				stale.close();
			}
			attempt = CompletableFuture.supplyAsync(this::open, CONNECTOR);
			attempt.thenAccept(this::connected);
			this.connecting = attempt;
			return attempt;
		}
	}

	private void connected(CacheCommands opened) {
		synchronized (this.monitor) {
			if (this.closed) {
				opened.close();
			}
			else {
				this.commands = opened;
			}
		}
	}

	private CacheCommands open() {
		if (LETTUCE_PRESENT) {
			CacheCommands lettuce = LettuceSupport.open(this.connectionFactory);
			if (lettuce != null) {
				return lettuce;
			}
		}
		return new HandOffCacheCommands(this.connectionFactory);
	}

	private static boolean usable(CacheCommands commands) {
		return !(commands instanceof LettuceCacheCommands lettuce) || lettuce.isUsable();
	}

	@Override
	public void close() {
		synchronized (this.monitor) {
			this.closed = true;
			CacheCommands current = this.commands;
			this.commands = null;
			if (current != null) {
				current.close();
			}
		}
	}

	/**
	 * Kept apart so that Lettuce's types are loaded only when Lettuce is there.
	 */
	private static final class LettuceSupport {

		@SuppressWarnings("unchecked")
		static @Nullable CacheCommands open(RedisConnectionFactory connectionFactory) {
			RedisConnection connection = connectionFactory.getConnection();
			try {
				if (connection.getNativeConnection() instanceof RedisClusterAsyncCommands<?, ?> redis) {
					return new LettuceCacheCommands(connection,
							(RedisClusterAsyncCommands<byte[], byte[]>) redis);
				}
			}
			catch (RuntimeException ex) {
				connection.close();
				throw ex;
			}
			connection.close();
			return null;
		}

	}

}
