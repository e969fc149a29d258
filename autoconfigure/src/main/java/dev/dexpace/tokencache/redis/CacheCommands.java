package dev.dexpace.tokencache.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The few Redis commands the blocking cache sends, each waited for on the calling thread
 * until a {@link Deadline}. {@link #on(RedisConnectionFactory)} picks how they are sent:
 * on Lettuce, asynchronously on the connection factory's native connection
 * ({@link LettuceCacheCommands}); on any other client, handed off to a few threads
 * ({@link HandOffCacheCommands}).
 * <p>
 * Every method throws what the client threw, a {@link java.util.concurrent.TimeoutException}
 * when the deadline passed, or an {@link java.util.concurrent.ExecutionException} with the
 * client's failure as its cause.
 */
interface CacheCommands extends AutoCloseable {

	/**
	 * Deletes {@code KEYS[1]} only while it holds exactly {@code ARGV[1]}. Its text is read
	 * once, here: a script that reads its resource on use would read a file on an event
	 * loop whenever the reactive cache falls back from {@code EVALSHA} to {@code EVAL}.
	 */
	RedisScript<Long> COMPARE_AND_DELETE = RedisScript.of(script("compare-and-delete.lua"), Long.class);

	private static String script(String name) {
		try {
			return new ClassPathResource(name, CacheCommands.class).getContentAsString(StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read the Redis script " + name, ex);
		}
	}

	/**
	 * The commands on a connection factory, connected on first use.
	 * @param connectionFactory the application's connection factory
	 * @return the commands
	 */
	static CacheCommands on(RedisConnectionFactory connectionFactory) {
		return new ConnectingCacheCommands(connectionFactory);
	}

	/**
	 * {@code GET}.
	 * @param key the key
	 * @param deadline when to stop waiting
	 * @return the value, or {@code null} when there is none
	 * @throws Exception see the type's documentation
	 */
	byte @Nullable [] get(String key, Deadline deadline) throws Exception;

	/**
	 * {@code GET} and {@code PTTL} of one key.
	 * @param key the key
	 * @param deadline when to stop waiting
	 * @return the value and its remaining life
	 * @throws Exception see the type's documentation
	 */
	ValueAndTtl getWithTtl(String key, Deadline deadline) throws Exception;

	/**
	 * {@code SET … PX}.
	 * @param key the key
	 * @param value the value
	 * @param ttlMillis its time to live
	 * @param deadline when to stop waiting
	 * @throws Exception see the type's documentation
	 */
	void set(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception;

	/**
	 * {@code SET … NX PX}.
	 * @param key the key
	 * @param value the value
	 * @param ttlMillis its time to live
	 * @param deadline when to stop waiting
	 * @return whether the key was set
	 * @throws Exception see the type's documentation
	 */
	boolean setIfAbsent(String key, byte[] value, long ttlMillis, Deadline deadline) throws Exception;

	/**
	 * {@code UNLINK} of one key.
	 * @param key the key
	 * @param deadline when to stop waiting
	 * @throws Exception see the type's documentation
	 */
	void unlink(String key, Deadline deadline) throws Exception;

	/**
	 * Run {@link #COMPARE_AND_DELETE} ({@code EVALSHA}, then {@code EVAL} if the script is
	 * not loaded on that server).
	 * @param key the key
	 * @param expected the exact value the key must hold to be deleted
	 * @param deadline when to stop waiting
	 * @throws Exception see the type's documentation
	 */
	void compareAndDelete(String key, byte[] expected, Deadline deadline) throws Exception;

	/**
	 * {@code PUBLISH}.
	 * @param channel the channel
	 * @param message the message
	 * @param deadline when to stop waiting
	 * @throws Exception see the type's documentation
	 */
	void publish(String channel, byte[] message, Deadline deadline) throws Exception;

	/**
	 * {@code PING}, connecting first if needed.
	 * @param deadline when to stop waiting
	 * @throws Exception see the type's documentation
	 */
	void ping(Deadline deadline) throws Exception;

	/**
	 * Release what the commands hold; the connection factory stays open.
	 */
	@Override
	void close();

	/**
	 * A value read from Redis with its {@code PTTL} ({@code -1}: no expiry, {@code -2}:
	 * gone).
	 * @param value the value, or {@code null}
	 * @param pttlMillis the remaining life in milliseconds
	 */
	record ValueAndTtl(byte @Nullable [] value, long pttlMillis) {

	}

}
