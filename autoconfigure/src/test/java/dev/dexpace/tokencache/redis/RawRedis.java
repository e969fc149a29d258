package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;

/**
 * A plain Lettuce client on one Redis server, to look at what the token cache really
 * wrote, and to write what it never would.
 */
final class RawRedis implements AutoCloseable {

	private final RedisClient client;

	private final StatefulRedisConnection<byte[], byte[]> connection;

	RawRedis(int port) {
		this.client = RedisClient.create(RedisURI.create("127.0.0.1", port));
		this.connection = this.client.connect(ByteArrayCodec.INSTANCE);
	}

	RedisCommands<byte[], byte[]> commands() {
		return this.connection.sync();
	}

	byte[] get(String key) {
		return commands().get(bytes(key));
	}

	void set(String key, byte[] value) {
		commands().set(bytes(key), value);
	}

	long pttl(String key) {
		return commands().pttl(bytes(key));
	}

	boolean exists(String key) {
		return commands().exists(bytes(key)) == 1;
	}

	/**
	 * Every key on this server, by SCAN.
	 * @return the keys
	 */
	List<String> keys() {
		List<String> keys = new ArrayList<>();
		ScanCursor cursor = ScanCursor.INITIAL;
		do {
			KeyScanCursor<byte[]> page = commands().scan(cursor, ScanArgs.Builder.limit(1000));
			page.getKeys().forEach((key) -> keys.add(new String(key, StandardCharsets.UTF_8)));
			cursor = page;
		}
		while (!cursor.isFinished());
		return keys;
	}

	/**
	 * Return how often Redis ran each command since the last stats reset.
	 * @return the {@code INFO commandstats} section
	 */
	String commandStats() {
		return commands().info("commandstats");
	}

	static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	@Override
	public void close() {
		this.connection.close();
		this.client.shutdown();
	}

}
