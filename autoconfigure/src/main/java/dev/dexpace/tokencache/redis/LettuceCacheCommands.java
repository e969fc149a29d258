package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnection;

/**
 * The cache's commands on Lettuce: sent asynchronously on the native connection of a
 * connection taken once from the application's {@code LettuceConnectionFactory} (its
 * shared connection unless sharing is turned off), and waited for by the caller. No
 * thread is handed anything, so a burst of callers only adds commands to Lettuce's
 * pipeline, and the timeout covers the round trip alone. A Cluster connection routes each
 * command to the master of its key's slot.
 */
final class LettuceCacheCommands implements CacheCommands {

	private final RedisConnection connection;

	private final RedisClusterAsyncCommands<byte[], byte[]> redis;

	private final @Nullable StatefulConnection<byte[], byte[]> stateful;

	private final String scriptSha;

	private final byte[] script;

	/**
	 * Send commands on a connection's native Lettuce connection.
	 * @param connection the connection, held until {@link #close()}
	 * @param redis its native asynchronous commands
	 */
	LettuceCacheCommands(RedisConnection connection, RedisClusterAsyncCommands<byte[], byte[]> redis) {
		this.connection = connection;
		this.redis = redis;
		if (redis instanceof RedisAsyncCommands<byte[], byte[]> standalone) {
			this.stateful = standalone.getStatefulConnection();
		}
		else if (redis instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> cluster) {
			this.stateful = cluster.getStatefulConnection();
		}
		else {
			this.stateful = null;
		}
		this.scriptSha = COMPARE_AND_DELETE.getSha1();
		this.script = COMPARE_AND_DELETE.getScriptAsString().getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Return whether commands can still be sent: {@code false} once the connection is
	 * closed for good (the factory was reset or stopped). A connection that is only
	 * reconnecting is still usable: Lettuce sends the commands once it is back.
	 * @return whether the connection is usable
	 */
	boolean isUsable() {
		return !(this.stateful instanceof RedisChannelHandler<?, ?> handler && handler.isClosed());
	}

	@Override
	public byte @Nullable [] get(String key, Deadline deadline) throws Exception {
		return deadline.await(this.redis.get(bytes(key)));
	}

	@Override
	public ValueAndTtl getWithTtl(String key, Deadline deadline) throws Exception {
		byte[] rawKey = bytes(key);
		// Both at once: one round trip.
		RedisFuture<byte[]> value = this.redis.get(rawKey);
		RedisFuture<Long> pttl = this.redis.pttl(rawKey);
		try {
			byte[] read = deadline.await(value);
			Long millis = deadline.await(pttl);
			return new ValueAndTtl(read, (read != null && millis != null) ? millis : -2);
		}
		finally {
			pttl.cancel(true);
		}
	}

	@Override
	public void set(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception {
		deadline.await(this.redis.set(bytes(key), value, SetArgs.Builder.px(ttlMillis)));
	}

	@Override
	public boolean setIfAbsent(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception {
		return "OK".equals(deadline.await(this.redis.set(bytes(key), value, SetArgs.Builder.nx().px(ttlMillis))));
	}

	@Override
	public void unlink(String key, Deadline deadline) throws Exception {
		deadline.await(this.redis.unlink(bytes(key)));
	}

	@Override
	public void compareAndDelete(String key, byte[] expected, Deadline deadline) throws Exception {
		byte[][] keys = { bytes(key) };
		try {
			deadline.await(this.redis.<Long>evalsha(this.scriptSha, ScriptOutputType.INTEGER, keys, expected));
		}
		catch (ExecutionException ex) {
			if (!(ex.getCause() instanceof RedisNoScriptException)) {
				throw ex;
			}
			// First use on this server (or after SCRIPT FLUSH): EVAL loads it.
			deadline.await(this.redis.<Long>eval(this.script, ScriptOutputType.INTEGER, keys, expected));
		}
	}

	@Override
	public void publish(String channel, byte[] message, Deadline deadline) throws Exception {
		deadline.await(this.redis.publish(bytes(channel), message));
	}

	/**
	 * {@code PING} every master of a Cluster, so that the warm-up opens the connection to
	 * each of them (Lettuce connects to a node on its first command), or the one server.
	 */
	@Override
	public void ping(Deadline deadline) throws Exception {
		if (this.redis instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> cluster) {
			for (CompletableFuture<String> pong : cluster.upstream().commands().ping().futures()) {
				deadline.await(pong);
			}
		}
		else {
			deadline.await(this.redis.ping());
		}
	}

	@Override
	public void close() {
		this.connection.close();
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

}
