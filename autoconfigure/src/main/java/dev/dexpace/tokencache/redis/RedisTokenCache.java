package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.ToLongBiFunction;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenCacheInspector;
import dev.dexpace.tokencache.TokenEndpointBackoffStore;
import dev.dexpace.tokencache.TokenFetchLock;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.expiry.CacheLifetime;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.connection.RedisClusterNode;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;

/**
 * A {@link TokenCache} in Redis, shared by every instance of an application, on the
 * {@link RedisConnectionFactory} the application already has (standalone, Sentinel or
 * Cluster).
 * <p>
 * Every operation touches one key, so it works across the slots of a cluster:
 * <ul>
 * <li>{@code get} is one {@code GET};</li>
 * <li>{@code put} is one {@code SET … PX}: the value and its TTL (the token's remaining
 * life minus the expiry buffer, see {@link CacheLifetime}) are written together; a token
 * with no lifetime left is not written;</li>
 * <li>{@code delete(key, rejected)} reads the value and, if it holds the rejected token,
 * runs a compare-and-delete script that removes the key only while it still holds the
 * exact bytes read, so a newer token written by another instance is never removed;</li>
 * <li>{@code clear} walks our prefix with {@code SCAN} (on every master of a cluster) and
 * removes what it finds with {@code UNLINK}.</li>
 * </ul>
 * Values are encoded by a versioned codec and, when an encryption key is set, sealed with
 * AES-GCM bound to their Redis key. A value that does not decode, or that one of our keys
 * sealed and that does not open, is a miss; it is deleted and counted. A value from a
 * newer version of this library, or one this instance cannot open (sealed with a key it
 * does not have, or plain while it encrypts: another instance's during a rolling change
 * of the encryption settings), is a miss left to its TTL. A token Redis still holds is
 * never dropped on this instance's clock alone: Redis' {@code PTTL} decides (see
 * {@link AbstractRedisTokenCache}).
 * <p>
 * A slow or unreachable Redis never fails a call: {@code get}, {@code put} and
 * {@code delete} give up after a short timeout and a circuit breaker stops trying Redis
 * for a while after repeated failures (see {@link RedisFaultGuard}), so a read is a miss
 * and a write is skipped. {@link #clear()} is not on the request path: it runs on the
 * calling thread, bounded by the client's own command timeout, and throws on failure.
 * <p>
 * <b>Fleet single-flight.</b> As a {@link TokenFetchLock}, the cache hands out a lease per
 * key: {@code SET <prefix>lock:<key> <random owner> NX PX <lease>}, released by the same
 * compare-and-delete script, so only the owner of this attempt removes it and a lease
 * that expired and was taken over is left alone. When Redis fails, the lease is granted
 * without Redis: callers fetch, as they would without the lock.
 * <p>
 * <b>Near cache.</b> With a {@link NearCache}, a hit is served from memory without a
 * round trip; a near miss reads the value and its {@code PTTL} so the copy never outlives
 * the key. Every delete, conditional delete and clear is published on
 * {@code <prefix>invalidate} whether or not this instance has a near cache, so instances
 * that have one hear about it.
 * <p>
 * <b>Inspection.</b> A page of {@link #entries(int, String)} walks the key names of the
 * prefix and reads the values of that page only; {@link #remove(String)} counts what it
 * removed from the key names, without reading a value.
 *
 * @since 0.1.0
 */
public final class RedisTokenCache extends AbstractRedisTokenCache
		implements TokenCache, TokenFetchLock, TokenEndpointBackoffStore, TokenCacheInspector, AutoCloseable {

	/**
	 * The default key prefix.
	 */
	public static final String DEFAULT_KEY_PREFIX = RedisCacheSettings.DEFAULT_KEY_PREFIX;

	/**
	 * The default fetch lease time.
	 */
	public static final Duration DEFAULT_LEASE_TIME = RedisCacheSettings.DEFAULT_LEASE_TIME;

	private final RedisConnectionFactory connectionFactory;

	private final CacheCommands commands;

	private final RedisFaultGuard guard;

	private RedisTokenCache(RedisConnectionFactory connectionFactory, RedisCacheSettings settings) {
		super(settings);
		this.connectionFactory = connectionFactory;
		this.guard = new RedisFaultGuard(settings.timeout(), this.breaker);
		this.commands = CacheCommands.on(connectionFactory);
	}

	/**
	 * Start building a cache on the given connection factory.
	 * @param connectionFactory the application's Redis connection factory
	 * @return a builder
	 */
	public static Builder builder(RedisConnectionFactory connectionFactory) {
		return new Builder(connectionFactory);
	}

	@Override
	public boolean ping(Duration maxWait) {
		return this.guard.probe(this.commands::ping, maxWait);
	}

	@Override
	public @Nullable CachedToken get(TokenKey key) {
		String redisKey = this.keys.of(key);
		NearCache near = nearCache();
		if (near != null) {
			CachedToken hit = near.get(redisKey);
			return (hit != null) ? hit : getWithTtl(key, redisKey, near);
		}
		byte[] value = this.guard.call("get", (deadline) -> this.commands.get(redisKey, deadline));
		CachedToken token = (value != null) ? settle(redisKey, value, read(key, redisKey, value)) : null;
		return (token != null && needsRedisClock(token)) ? getWithTtl(key, redisKey, null) : token;
	}

	/**
	 * Read the value and its remaining life together; on a near miss keep a copy for no
	 * longer than the key lives.
	 */
	private @Nullable CachedToken getWithTtl(TokenKey key, String redisKey, @Nullable NearCache near) {
		long epoch = (near != null) ? near.epoch() : 0;
		CacheCommands.ValueAndTtl read = this.guard.call("get",
				(deadline) -> this.commands.getWithTtl(redisKey, deadline));
		byte[] value = (read != null) ? read.value() : null;
		return (read != null && value != null)
				? settle(redisKey, value, readWithTtl(key, redisKey, value, read.pttlMillis(), near, epoch)) : null;
	}

	/**
	 * Delete a corrupt value (the exact bytes read) and return the token read, if any.
	 */
	private @Nullable CachedToken settle(String redisKey, byte[] value, Read read) {
		if (read.corrupt()) {
			compareAndDelete(redisKey, value);
		}
		return read.token();
	}

	@Override
	public void put(TokenKey key, CachedToken token) {
		Write write = write(key, token);
		if (write != null && this.guard.run("put",
				(deadline) -> this.commands.set(write.redisKey(), write.value(), write.ttlMillis(), deadline))) {
			write.written();
		}
	}

	@Override
	public void delete(TokenKey key) {
		String redisKey = this.keys.of(key);
		invalidateNear(redisKey);
		this.guard.run("delete", (deadline) -> this.commands.unlink(redisKey, deadline));
		publishInvalidation(redisKey);
	}

	/**
	 * Delete the entry only while it holds the rejected token, atomically on the server.
	 * <p>
	 * With encryption on, equal tokens do not have equal bytes, so the comparison with the
	 * rejected token happens here and the server compares the exact bytes that were read:
	 * if another instance replaced the value in between, nothing is deleted.
	 */
	@Override
	public void delete(TokenKey key, CachedToken rejected) {
		String redisKey = this.keys.of(key);
		invalidateNear(redisKey);
		byte[] value = this.guard.call("delete", (deadline) -> this.commands.get(redisKey, deadline));
		if (value != null) {
			CachedToken current = settle(redisKey, value, read(key, redisKey, value));
			if (current != null && current.sameTokenAs(rejected)) {
				compareAndDelete(redisKey, value);
			}
		}
		// Even when Redis holds a newer token already: other near caches may still hold the
		// rejected one.
		publishInvalidation(redisKey);
	}

	@Override
	public void clear() {
		remove(null);
	}

	/**
	 * Take the fetch lease of a key with {@code SET NX PX} and a random owner value.
	 * @return the lease; {@code null} while another instance holds it; a lease that
	 * coordinates nothing when Redis fails, so the caller fetches at once
	 */
	@Override
	public @Nullable Lease tryLock(TokenKey key) {
		String lockKey = this.keys.lockOf(key);
		byte[] owner = owner();
		long leaseMillis = leaseTime().toMillis();
		Boolean acquired = this.guard.call("lock",
				(deadline) -> this.commands.setIfAbsent(lockKey, owner, leaseMillis, deadline));
		return lease(acquired, () -> {
		}, () -> () -> this.guard.run("unlock",
				(deadline) -> this.commands.compareAndDelete(lockKey, owner, deadline)));
	}

	/**
	 * Publish the wait with {@code SET … PX}: Redis' clock ends it, whatever the clocks of
	 * the instances say.
	 */
	@Override
	public void publishBusy(String tokenUri, Duration wait) {
		long waitMillis = wait.toMillis();
		if (waitMillis <= 0) {
			return;
		}
		String backoffKey = this.keys.backoffOf(tokenUri);
		this.guard.run("backoff", (deadline) -> this.commands.set(backoffKey, BUSY, waitMillis, deadline));
	}

	/**
	 * Read the wait as the key's {@code PTTL}.
	 */
	@Override
	public @Nullable Duration busy(String tokenUri) {
		String backoffKey = this.keys.backoffOf(tokenUri);
		CacheCommands.ValueAndTtl read = this.guard.call("backoff",
				(deadline) -> this.commands.getWithTtl(backoffKey, deadline));
		return (read != null && read.value() != null && read.pttlMillis() > 0) ? Duration.ofMillis(read.pttlMillis())
				: null;
	}

	/**
	 * Tell every near cache of the fleet, after Redis has changed. Carries a Redis key,
	 * never a token.
	 */
	private void publishInvalidation(String message) {
		String channel = this.keys.invalidationChannel();
		byte[] body = message.getBytes(StandardCharsets.UTF_8);
		this.guard.run("publish", (deadline) -> this.commands.publish(channel, body, deadline));
	}

	@Override
	public List<TokenCacheEntry> entries() {
		return entries(Integer.MAX_VALUE - 1, null).entries();
	}

	/**
	 * Walk the key names of our prefix with {@code SCAN}, keep the {@code limit} first
	 * positions after the cursor, and read and decode the values of those only. User
	 * tokens show no audience: it is part of the key's digest and not stored in plain
	 * form.
	 */
	@Override
	public Page entries(int limit, @Nullable String cursor) {
		if (limit < 1) {
			throw new IllegalArgumentException("limit must be at least 1");
		}
		TreeSet<String> positions = new TreeSet<>();
		int prefix = this.keys.prefix().length();
		List<TokenCacheEntry> entries = new ArrayList<>();
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			scan(connection, this.keys.pattern(), (conn, keys) -> forEach(keys, (redisKey) -> {
				String position = redisKey.substring(prefix);
				if (this.keys.parse(redisKey) != null && (cursor == null || position.compareTo(cursor) > 0)) {
					positions.add(position);
					if (positions.size() > limit + 1L) {
						positions.pollLast();
					}
				}
			}));
			positions.stream().limit(limit).forEach((position) -> {
				TokenCacheEntry entry = entry(connection, this.keys.prefix() + position);
				if (entry != null) {
					entries.add(entry);
				}
			});
		}
		String next = (positions.size() > limit) ? positions.stream().skip(limit - 1L).findFirst().orElse(null) : null;
		return new Page(entries, next);
	}

	private @Nullable TokenCacheEntry entry(RedisConnection connection, String redisKey) {
		RedisKeys.Parsed parsed = this.keys.parse(redisKey);
		byte[] rawKey = redisKey.getBytes(StandardCharsets.UTF_8);
		byte[] value = connection.stringCommands().get(rawKey);
		Long pttl = (value != null) ? connection.keyCommands().pTtl(rawKey) : null;
		if (parsed == null || value == null
				|| !(this.codec.decode(redisKey, value) instanceof TokenValueCodec.Token token)) {
			return null;
		}
		CachedToken alive = alive(token.token(), (pttl != null) ? pttl : UNKNOWN_TTL);
		return (alive != null) ? new TokenCacheEntry(parsed.registrationId(), parsed.kind(), alive.scopes(), null,
				parsed.digest(), alive.expiresAt()) : null;
	}

	@Override
	public long deleteRegistration(String registrationId) {
		return remove(registrationId).values().stream().mapToLong(Long::longValue).sum();
	}

	/**
	 * Remove the keys of one registration (or everything under our prefix, fetch leases
	 * included) with {@code SCAN} and {@code UNLINK}, one kind of token at a time, counting
	 * what {@code UNLINK} answers it removed: no value is read, and a key that {@code SCAN}
	 * returns twice (it may, while Redis resizes its table) is counted once.
	 */
	@Override
	public Map<TokenKind, Long> remove(@Nullable String registrationId) {
		invalidateNear(NearCache.ALL);
		Map<TokenKind, Long> removed = new EnumMap<>(TokenKind.class);
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			for (TokenKind kind : TokenKind.values()) {
				String pattern = (registrationId != null) ? this.keys.pattern(kind, registrationId)
						: this.keys.pattern(kind);
				long count = count(connection, pattern, RedisTokenCache::unlinkAll);
				if (count > 0) {
					removed.put(kind, count);
				}
			}
			if (registrationId == null) {
				// Fetch leases and whatever else sits under the prefix.
				count(connection, this.keys.pattern(), RedisTokenCache::unlinkAll);
			}
		}
		publishInvalidation(NearCache.ALL);
		return removed;
	}

	private static void scan(RedisConnection connection, String pattern,
			BiConsumer<RedisConnection, Cursor<byte[]>> action) {
		count(connection, pattern, (conn, cursor) -> {
			action.accept(conn, cursor);
			return 0;
		});
	}

	/**
	 * Run an action on the scan of a pattern, on every master of a cluster.
	 * @return the sum of what the action answers
	 */
	private static long count(RedisConnection connection, String pattern,
			ToLongBiFunction<RedisConnection, Cursor<byte[]>> action) {
		ScanOptions options = ScanOptions.scanOptions().match(pattern).count(SCAN_BATCH).build();
		if (connection instanceof RedisClusterConnection cluster) {
			long total = 0;
			for (RedisClusterNode node : cluster.clusterGetNodes()) {
				if (node.isMaster()) {
					total += action.applyAsLong(connection, cluster.scan(node, options));
				}
			}
			return total;
		}
		return action.applyAsLong(connection, connection.keyCommands().scan(options));
	}

	private static void forEach(Cursor<byte[]> cursor, Consumer<String> action) {
		try (cursor) {
			while (cursor.hasNext()) {
				action.accept(new String(cursor.next(), StandardCharsets.UTF_8));
			}
		}
	}

	/**
	 * Unlink every key of a scan in batches.
	 * @return how many keys {@code UNLINK} removed
	 */
	private static long unlinkAll(RedisConnection connection, Cursor<byte[]> cursor) {
		long removed = 0;
		try (cursor) {
			List<byte[]> batch = new ArrayList<>(SCAN_BATCH);
			while (cursor.hasNext()) {
				batch.add(cursor.next());
				if (batch.size() == SCAN_BATCH) {
					removed += unlink(connection, batch);
				}
			}
			removed += unlink(connection, batch);
		}
		return removed;
	}

	private static long unlink(RedisConnection connection, List<byte[]> batch) {
		long removed = 0;
		if (connection instanceof RedisClusterConnection) {
			// Keys of one node may still sit in different slots: one key per command.
			for (byte[] key : batch) {
				removed += count(connection.keyCommands().unlink(key));
			}
		}
		else if (!batch.isEmpty()) {
			removed = count(connection.keyCommands().unlink(batch.toArray(new byte[0][])));
		}
		batch.clear();
		return removed;
	}

	private static long count(@Nullable Long reply) {
		return (reply != null) ? reply : 0;
	}

	private void compareAndDelete(String redisKey, byte[] expected) {
		this.guard.run("delete", (deadline) -> this.commands.compareAndDelete(redisKey, expected, deadline));
	}

	/**
	 * Return the settings this cache was built with, for a twin on another client.
	 * @return the settings
	 */
	RedisCacheSettings settings() {
		return this.settings;
	}

	/**
	 * Release the connection the cache sends its commands on (the connection factory
	 * stays open).
	 */
	@Override
	public void close() {
		this.commands.close();
	}

	/**
	 * Builds a {@link RedisTokenCache}.
	 */
	public static final class Builder extends RedisCacheBuilder<Builder> {

		private final RedisConnectionFactory connectionFactory;

		private Builder(RedisConnectionFactory connectionFactory) {
			this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
		}

		/**
		 * Build the cache.
		 * @return the cache
		 * @throws IllegalArgumentException if a setting is out of its range
		 */
		public RedisTokenCache build() {
			return new RedisTokenCache(this.connectionFactory, toSettings());
		}

	}

}
