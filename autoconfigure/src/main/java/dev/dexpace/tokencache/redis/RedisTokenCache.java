package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenCacheInspector;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenFetchLock;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.expiry.CacheLifetime;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
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
 * of the encryption settings), is a miss left to its TTL.
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
 *
 * @since 0.1.0
 */
public final class RedisTokenCache
		implements TokenCache, TokenFetchLock, TokenCacheInspector, TokenCacheListenerAware, AutoCloseable {

	/**
	 * The default key prefix.
	 */
	public static final String DEFAULT_KEY_PREFIX = "dexpace:token-cache:";

	/**
	 * The default fetch lease time.
	 */
	public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(5);

	private static final Log logger = LogFactory.getLog(RedisTokenCache.class);

	private static final int SCAN_BATCH = 500;

	private final RedisConnectionFactory connectionFactory;

	private final CacheCommands commands;

	private final RedisKeys keys;

	private final TokenValueCodec codec;

	private final Duration expiryBuffer;

	private final Clock clock;

	private final RedisFaultGuard guard;

	private final AtomicLong corruptValues = new AtomicLong();

	private final AtomicLong unreadableValues = new AtomicLong();

	private final Duration leaseTime;

	private final @Nullable NearCache nearCache;

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	private RedisTokenCache(Builder builder) {
		this.connectionFactory = builder.connectionFactory;
		this.keys = new RedisKeys(builder.keyPrefix);
		this.codec = TokenValueCodec.of(builder.encryptionKey, builder.previousEncryptionKeys);
		this.expiryBuffer = builder.expiryBuffer;
		this.clock = builder.clock;
		this.guard = new RedisFaultGuard(builder.timeout, builder.failureThreshold, builder.openDuration,
				System::nanoTime);
		this.leaseTime = builder.leaseTime;
		this.nearCache = builder.nearCache;
		this.commands = CacheCommands.on(builder.connectionFactory);
	}

	/**
	 * Start building a cache on the given connection factory.
	 * @param connectionFactory the application's Redis connection factory
	 * @return a builder
	 */
	public static Builder builder(RedisConnectionFactory connectionFactory) {
		return new Builder(connectionFactory);
	}

	/**
	 * Open the connection to Redis now, so that the first cached call does not pay for
	 * connecting (and, with a short timeout, count it as a failure). Never throws: when
	 * Redis cannot be reached the cache starts anyway and fails soft.
	 * @param maxWait how long to wait for Redis
	 * @return whether Redis answered
	 */
	public boolean warmUp(Duration maxWait) {
		return this.guard.probe(this.commands::ping, maxWait);
	}

	@Override
	public @Nullable CachedToken get(TokenKey key) {
		String redisKey = this.keys.of(key);
		NearCache near = this.nearCache;
		if (near != null) {
			CachedToken hit = near.get(redisKey);
			if (hit != null) {
				return hit;
			}
			return getThroughNearCache(near, key, redisKey);
		}
		byte[] value = this.guard.call("get", (deadline) -> this.commands.get(redisKey, deadline));
		return (value != null) ? usable(key, redisKey, value) : null;
	}

	/**
	 * A near miss: read the value and its remaining life together, and keep a copy for no
	 * longer than the key lives.
	 */
	private @Nullable CachedToken getThroughNearCache(NearCache near, TokenKey key, String redisKey) {
		long epoch = near.epoch();
		CacheCommands.ValueAndTtl read = this.guard.call("get",
				(deadline) -> this.commands.getWithTtl(redisKey, deadline));
		if (read == null || read.value() == null) {
			return null;
		}
		CachedToken token = usable(key, redisKey, read.value());
		if (token != null && read.pttlMillis() > 0) {
			long lifetime = CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant()).toMillis();
			near.put(redisKey, token, Math.min(lifetime, read.pttlMillis()), epoch);
		}
		return token;
	}

	private @Nullable CachedToken usable(TokenKey key, String redisKey, byte[] value) {
		CachedToken token = decode(key.kind(), redisKey, value);
		// Redis expires the key on the writer's clock; check again on ours, in case they differ.
		if (token == null || CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant()).isZero()) {
			return null;
		}
		return token;
	}

	@Override
	public void put(TokenKey key, CachedToken token) {
		long ttlMillis = CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant()).toMillis();
		if (ttlMillis <= 0) {
			return;
		}
		String redisKey = this.keys.of(key);
		byte[] value = this.codec.encode(redisKey, token);
		NearCache near = this.nearCache;
		long epoch = (near != null) ? near.epoch() : 0;
		boolean written = this.guard.run("put",
				(deadline) -> this.commands.set(redisKey, value, ttlMillis, deadline));
		if (near != null && written) {
			// Only what Redis holds: a token Redis did not take is not kept here either.
			near.put(redisKey, token, ttlMillis, epoch);
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
			CachedToken current = decode(key.kind(), redisKey, value);
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
		invalidateNearAll();
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			scan(connection, this.keys.pattern(), RedisTokenCache::unlinkAll);
		}
		publishInvalidation(NearCache.ALL);
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
		long leaseMillis = this.leaseTime.toMillis();
		Boolean acquired = this.guard.call("lock",
				(deadline) -> this.commands.setIfAbsent(lockKey, owner, leaseMillis, deadline));
		if (acquired == null) {
			return () -> {
			};
		}
		if (!acquired) {
			return null;
		}
		return () -> this.guard.run("unlock",
				(deadline) -> this.commands.compareAndDelete(lockKey, owner, deadline));
	}

	@Override
	public Duration leaseTime() {
		return this.leaseTime;
	}

	/**
	 * A value unique to one attempt, so that only the attempt that took a lease removes it.
	 */
	static byte[] owner() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return (Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()))
			.getBytes(StandardCharsets.US_ASCII);
	}

	private void invalidateNear(String redisKey) {
		NearCache near = this.nearCache;
		if (near != null) {
			near.invalidate(redisKey);
		}
	}

	private void invalidateNearAll() {
		NearCache near = this.nearCache;
		if (near != null) {
			near.invalidateAll();
		}
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

	/**
	 * Walk our prefix with {@code SCAN} and decode every value. User tokens show no
	 * audience: it is part of the key's digest and not stored in plain form.
	 */
	@Override
	public List<TokenCacheEntry> entries() {
		List<TokenCacheEntry> entries = new ArrayList<>();
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			scan(connection, this.keys.pattern(), (conn, cursor) -> {
				try (cursor) {
					while (cursor.hasNext()) {
						TokenCacheEntry entry = entry(conn, new String(cursor.next(), StandardCharsets.UTF_8));
						if (entry != null) {
							entries.add(entry);
						}
					}
				}
			});
		}
		return entries;
	}

	private @Nullable TokenCacheEntry entry(RedisConnection connection, String redisKey) {
		RedisKeys.Parsed parsed = this.keys.parse(redisKey);
		byte[] value = (parsed != null) ? connection.stringCommands().get(redisKey.getBytes(StandardCharsets.UTF_8))
				: null;
		if (parsed == null || value == null) {
			return null;
		}
		if (this.codec.decode(redisKey, value) instanceof TokenValueCodec.Token token) {
			return new TokenCacheEntry(parsed.registrationId(), parsed.kind(), token.token().scopes(), null,
					parsed.digest(), token.token().expiresAt());
		}
		return null;
	}

	@Override
	public long deleteRegistration(String registrationId) {
		invalidateNearAll();
		long[] deleted = new long[1];
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			for (TokenKind kind : TokenKind.values()) {
				scan(connection, this.keys.pattern(kind, registrationId), (conn, cursor) -> {
					try (cursor) {
						while (cursor.hasNext()) {
							Long count = conn.keyCommands().unlink(cursor.next());
							deleted[0] += (count != null) ? count : 0;
						}
					}
				});
			}
		}
		publishInvalidation(NearCache.ALL);
		return deleted[0];
	}

	private static void scan(RedisConnection connection, String pattern,
			BiConsumer<RedisConnection, Cursor<byte[]>> action) {
		ScanOptions options = ScanOptions.scanOptions().match(pattern).count(SCAN_BATCH).build();
		if (connection instanceof RedisClusterConnection cluster) {
			for (RedisClusterNode node : cluster.clusterGetNodes()) {
				if (node.isMaster()) {
					action.accept(connection, cluster.scan(node, options));
				}
			}
		}
		else {
			action.accept(connection, connection.keyCommands().scan(options));
		}
	}

	@Override
	public void setListener(TokenCacheListener listener) {
		this.listener = listener;
		this.guard.setListener(listener);
	}

	/**
	 * Ask Redis for a {@code PONG} outside the circuit breaker, for health checks: the
	 * answer neither opens nor closes the circuit.
	 * @param maxWait how long to wait for Redis
	 * @return whether Redis answered in time
	 */
	public boolean ping(Duration maxWait) {
		return this.guard.probe(this.commands::ping, maxWait);
	}

	private static void unlinkAll(RedisConnection connection, Cursor<byte[]> cursor) {
		try (cursor) {
			List<byte[]> batch = new ArrayList<>(SCAN_BATCH);
			while (cursor.hasNext()) {
				batch.add(cursor.next());
				if (batch.size() == SCAN_BATCH) {
					unlink(connection, batch);
				}
			}
			unlink(connection, batch);
		}
	}

	private static void unlink(RedisConnection connection, List<byte[]> batch) {
		if (connection instanceof RedisClusterConnection) {
			// Keys of one node may still sit in different slots: one key per command.
			batch.forEach((key) -> connection.keyCommands().unlink(key));
		}
		else if (!batch.isEmpty()) {
			connection.keyCommands().unlink(batch.toArray(new byte[0][]));
		}
		batch.clear();
	}

	private @Nullable CachedToken decode(TokenKind kind, String redisKey, byte[] value) {
		TokenValueCodec.Decoded decoded = this.codec.decode(redisKey, value);
		if (decoded instanceof TokenValueCodec.Token token) {
			return token.token();
		}
		if (decoded instanceof TokenValueCodec.Corrupt corrupt) {
			long count = this.corruptValues.incrementAndGet();
			if (count == 1 || logger.isDebugEnabled()) {
				String message = "Deleting a value under " + redisKey + " that is not a valid token (" + corrupt.reason()
						+ ")";
				if (count == 1) {
					logger.warn(message + "; further ones are logged at DEBUG");
				}
				else {
					logger.debug(message);
				}
			}
			compareAndDelete(redisKey, value);
			this.listener.invalidated(kind, TokenCacheListener.InvalidationCause.CORRUPT);
		}
		else if (decoded instanceof TokenValueCodec.Unreadable unreadable) {
			TokenValueCodec.logUnreadable(logger, this.unreadableValues.incrementAndGet(), redisKey, unreadable);
		}
		else if (logger.isDebugEnabled()) {
			logger.debug("Ignoring a value under " + redisKey + " written in a newer format (version "
					+ ((TokenValueCodec.Unsupported) decoded).version() + ")");
		}
		return null;
	}

	private void compareAndDelete(String redisKey, byte[] expected) {
		this.guard.run("delete", (deadline) -> this.commands.compareAndDelete(redisKey, expected, deadline));
	}

	/**
	 * Return the Redis key a token key is stored under.
	 * @param key the token key
	 * @return the Redis key
	 */
	public String redisKey(TokenKey key) {
		return this.keys.of(key);
	}

	/**
	 * Return how many Redis operations failed or timed out since start-up.
	 * @return the number of failures
	 */
	public long failures() {
		return this.guard.failures();
	}

	/**
	 * Return how many operations were not sent to Redis because it was failing.
	 * @return the number of skipped operations
	 */
	public long skipped() {
		return this.guard.skipped();
	}

	/**
	 * Return how many corrupt or foreign values were found (and deleted) under the prefix.
	 * @return the number of corrupt values
	 */
	public long corruptValues() {
		return this.corruptValues.get();
	}

	/**
	 * Return how many values were left in Redis because this instance cannot open them:
	 * sealed with a key it does not have, or plain while it encrypts. During a rolling
	 * change of the encryption settings these are another instance's values, not damage.
	 * @return the number of unreadable values
	 */
	public long unreadableValues() {
		return this.unreadableValues.get();
	}

	/**
	 * Return whether Redis is currently skipped after repeated failures.
	 * @return whether the circuit breaker is open
	 */
	public boolean isCircuitOpen() {
		return this.guard.isOpen();
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
	 * Return the near cache in front of Redis, if there is one.
	 * @return the near cache, or {@code null}
	 */
	public @Nullable NearCache nearCache() {
		return this.nearCache;
	}

	@Override
	public String toString() {
		return "RedisTokenCache[prefix=" + this.keys.prefix() + ", encrypted=" + this.codec.isSealing()
				+ ", nearCache=" + (this.nearCache != null) + "]";
	}

	/**
	 * Builds a {@link RedisTokenCache}.
	 */
	public static final class Builder {

		private final RedisConnectionFactory connectionFactory;

		private String keyPrefix = DEFAULT_KEY_PREFIX;

		private Duration expiryBuffer = Duration.ofSeconds(30);

		private byte @Nullable [] encryptionKey;

		private List<byte[]> previousEncryptionKeys = List.of();

		private Duration timeout = Duration.ofMillis(200);

		private int failureThreshold = 5;

		private Duration openDuration = Duration.ofSeconds(5);

		private Clock clock = Clock.systemUTC();

		private Duration leaseTime = DEFAULT_LEASE_TIME;

		private @Nullable NearCache nearCache;

		private Builder(RedisConnectionFactory connectionFactory) {
			this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
		}

		/**
		 * Set the prefix of every key (default {@value RedisTokenCache#DEFAULT_KEY_PREFIX}).
		 * @param keyPrefix the prefix
		 * @return this builder
		 */
		public Builder keyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
			return this;
		}

		/**
		 * Set how long before its real expiry a token is dropped (default 30s).
		 * @param expiryBuffer the buffer
		 * @return this builder
		 */
		public Builder expiryBuffer(Duration expiryBuffer) {
			if (expiryBuffer.isNegative()) {
				throw new IllegalArgumentException("expiryBuffer must not be negative");
			}
			this.expiryBuffer = expiryBuffer;
			return this;
		}

		/**
		 * Seal values with AES-256-GCM under this key (default: stored plain).
		 * @param encryptionKey the 256-bit key, or {@code null} for plain values
		 * @return this builder
		 */
		public Builder encryptionKey(byte @Nullable [] encryptionKey) {
			if (encryptionKey != null && encryptionKey.length != AesGcmSealer.KEY_BYTES) {
				throw new IllegalArgumentException("The encryption key must be " + AesGcmSealer.KEY_BYTES
						+ " bytes (256 bits), not " + encryptionKey.length + " bytes");
			}
			this.encryptionKey = (encryptionKey != null) ? encryptionKey.clone() : null;
			return this;
		}

		/**
		 * Also open values sealed with these keys (default: none), never sealing with
		 * them: the keys a fleet used before the current one, while values they sealed may
		 * still be in Redis.
		 * @param previousEncryptionKeys the 256-bit keys
		 * @return this builder
		 */
		public Builder previousEncryptionKeys(List<byte[]> previousEncryptionKeys) {
			for (byte[] key : previousEncryptionKeys) {
				if (key.length != AesGcmSealer.KEY_BYTES) {
					throw new IllegalArgumentException("A previous encryption key must be " + AesGcmSealer.KEY_BYTES
							+ " bytes (256 bits), not " + key.length + " bytes");
				}
			}
			this.previousEncryptionKeys = previousEncryptionKeys.stream().map(byte[]::clone).toList();
			return this;
		}

		/**
		 * Set how long one Redis operation may take before it is a miss (default 200ms).
		 * @param timeout the timeout
		 * @return this builder
		 */
		public Builder timeout(Duration timeout) {
			this.timeout = timeout;
			return this;
		}

		/**
		 * Set how many consecutive failures stop the cache from trying Redis (default 5).
		 * @param failureThreshold the number of failures
		 * @return this builder
		 */
		public Builder failureThreshold(int failureThreshold) {
			this.failureThreshold = failureThreshold;
			return this;
		}

		/**
		 * Set how long Redis is left alone after repeated failures before it is probed
		 * again (default 5s).
		 * @param openDuration the duration
		 * @return this builder
		 */
		public Builder openDuration(Duration openDuration) {
			this.openDuration = openDuration;
			return this;
		}

		/**
		 * Set the clock that turns an absolute expiry into a TTL.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = clock;
			return this;
		}

		/**
		 * Set how long a fetch lease lasts unless released (default 5s): the longest a
		 * holder that died delays the others.
		 * @param leaseTime the lease time
		 * @return this builder
		 */
		public Builder leaseTime(Duration leaseTime) {
			if (leaseTime.toMillis() <= 0) {
				throw new IllegalArgumentException("leaseTime must be at least 1ms");
			}
			this.leaseTime = leaseTime;
			return this;
		}

		/**
		 * Serve hits from a near cache in front of Redis (default: none).
		 * @param nearCache the near cache, subscribed to invalidations of this key prefix
		 * @return this builder
		 */
		public Builder nearCache(@Nullable NearCache nearCache) {
			this.nearCache = nearCache;
			return this;
		}

		/**
		 * Build the cache.
		 * @return the cache
		 */
		public RedisTokenCache build() {
			return new RedisTokenCache(this);
		}

	}

}
