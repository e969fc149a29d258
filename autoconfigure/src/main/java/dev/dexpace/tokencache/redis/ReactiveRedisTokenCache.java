package dev.dexpace.tokencache.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.ReactiveTokenFetchLock;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.CacheLifetime;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStringCommands.SetOption;
import org.springframework.data.redis.connection.ReturnType;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.data.redis.core.types.Expiration;

/**
 * The non-blocking twin of {@link RedisTokenCache}, on the application's
 * {@link ReactiveRedisConnectionFactory}. It writes and reads the same keys
 * ({@link RedisKeys}), the same values ({@link TokenValueCodec}, sealed with
 * {@link AesGcmSealer} when an encryption key is set) and runs the same compare-and-delete
 * script, so blocking and reactive instances of one fleet share their tokens.
 * <p>
 * Faults behave as in the blocking cache: {@code get}, {@code put} and {@code delete} give
 * up after the timeout (a {@link Mono#timeout(Duration) timeout} of the reactive command,
 * no thread waits for it), a {@link RedisCircuitBreaker} stops trying Redis for a while
 * after repeated failures, a read that fails is a miss and a write that fails is skipped;
 * the outage is logged once. {@link #clear()} is not on the request path and reports its
 * failure.
 * <p>
 * The cache talks to one {@link ReactiveRedisConnection} taken from the factory once,
 * because taking a connection from Spring Data Redis' Lettuce factory may lock and, the
 * first time, connect while the caller waits: that happens at start-up
 * ({@link #warmUp(Duration)}) or on Reactor's bounded elastic scheduler, never on the
 * subscribing thread. Afterwards every command is sent without blocking.
 * <p>
 * It is a {@link ReactiveTokenFetchLock} on the same lease keys as the blocking cache, and
 * with a {@link NearCache} (the one the blocking cache of the application uses) a hit is
 * served from memory; deletes and clears are published on the same channel.
 *
 * @since 0.1.0
 */
public final class ReactiveRedisTokenCache implements ReactiveTokenCache, ReactiveTokenFetchLock, AutoCloseable {

	private static final Log logger = LogFactory.getLog(ReactiveRedisTokenCache.class);

	private static final RedisScript<Long> COMPARE_AND_DELETE = RedisScript.of(script("compare-and-delete.lua"),
			Long.class);

	private static final int UNLINK_CONCURRENCY = 16;

	private final ReactiveRedisConnectionFactory connectionFactory;

	private final RedisKeys keys;

	private final TokenValueCodec codec;

	private final Duration expiryBuffer;

	private final Clock clock;

	private final Duration timeout;

	private final RedisCircuitBreaker breaker;

	private final AtomicLong corruptValues = new AtomicLong();

	private final AtomicLong unreadableValues = new AtomicLong();

	private final Object connectionMonitor = new Object();

	private final Duration leaseTime;

	private final @Nullable NearCache nearCache;

	private volatile @Nullable ReactiveRedisConnection connection;

	private ReactiveRedisTokenCache(Builder builder) {
		this.connectionFactory = builder.connectionFactory;
		this.keys = new RedisKeys(builder.keyPrefix);
		this.codec = TokenValueCodec.of(builder.encryptionKey, builder.previousEncryptionKeys);
		this.expiryBuffer = builder.expiryBuffer;
		this.clock = builder.clock;
		if (builder.timeout.isNegative() || builder.timeout.isZero()) {
			throw new IllegalArgumentException("timeout must be positive");
		}
		this.timeout = builder.timeout;
		this.breaker = new RedisCircuitBreaker(builder.failureThreshold, builder.openDuration, System::nanoTime);
		this.leaseTime = builder.leaseTime;
		this.nearCache = builder.nearCache;
	}

	/**
	 * Start building a cache on the given connection factory.
	 * @param connectionFactory the application's reactive Redis connection factory
	 * @return a builder
	 */
	public static Builder builder(ReactiveRedisConnectionFactory connectionFactory) {
		return new Builder(connectionFactory);
	}

	/**
	 * Take the connection and let Redis answer a {@code PING} now, on the calling thread,
	 * so that the first cached call does not pay for connecting. Never throws: when Redis
	 * cannot be reached the cache starts anyway, fails soft and connects later off the
	 * event loop.
	 * @param maxWait how long to wait for Redis
	 * @return whether Redis answered
	 */
	public boolean warmUp(Duration maxWait) {
		try {
			String pong = connection().flatMap(ReactiveRedisConnection::ping).block(maxWait);
			return pong != null;
		}
		catch (RuntimeException ex) {
			if (logger.isDebugEnabled()) {
				logger.debug("Reactive Redis token cache could not connect at start-up", ex);
			}
			return false;
		}
	}

	@Override
	public Mono<CachedToken> get(TokenKey key) {
		String redisKey = this.keys.of(key);
		NearCache near = this.nearCache;
		if (near != null) {
			return Mono.defer(() -> {
				CachedToken hit = near.get(redisKey);
				return (hit != null) ? Mono.just(hit) : getThroughNearCache(near, redisKey);
			});
		}
		return guarded("get", (redis) -> redis.stringCommands().get(buffer(redisKey)))
			.flatMap((value) -> decode(redisKey, bytes(value)))
			.filter(this::usable);
	}

	/**
	 * A near miss: read the value, then its remaining life, and keep a copy for no longer
	 * than the key lives.
	 */
	private Mono<CachedToken> getThroughNearCache(NearCache near, String redisKey) {
		long epoch = near.epoch();
		ByteBuffer key = buffer(redisKey);
		return guarded("get", (redis) -> redis.stringCommands()
			.get(key)
			.flatMap((value) -> redis.keyCommands()
				.pTtl(key.duplicate())
				.defaultIfEmpty(-2L)
				.map((pttl) -> new ValueAndTtl(bytes(value), pttl))))
			.flatMap((read) -> decode(redisKey, read.value()).filter(this::usable).doOnNext((token) -> {
				if (read.pttlMillis() > 0) {
					long lifetime = CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant())
						.toMillis();
					near.put(redisKey, token, Math.min(lifetime, read.pttlMillis()), epoch);
				}
			}));
	}

	/**
	 * Redis expires the key on the writer's clock; check again on ours, in case they differ.
	 */
	private boolean usable(CachedToken token) {
		return !CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant()).isZero();
	}

	@Override
	public Mono<Void> put(TokenKey key, CachedToken token) {
		return Mono.defer(() -> {
			long ttlMillis = CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant()).toMillis();
			if (ttlMillis <= 0) {
				return Mono.empty();
			}
			String redisKey = this.keys.of(key);
			byte[] value = this.codec.encode(redisKey, token);
			NearCache near = this.nearCache;
			long epoch = (near != null) ? near.epoch() : 0;
			return guarded("put", (redis) -> redis.stringCommands()
				.set(buffer(redisKey), ByteBuffer.wrap(value), Expiration.milliseconds(ttlMillis), SetOption.upsert()))
				.doOnNext((written) -> {
					// Only what Redis holds: a token Redis did not take is not kept here either.
					if (near != null && Boolean.TRUE.equals(written)) {
						near.put(redisKey, token, ttlMillis, epoch);
					}
				})
				.then();
		});
	}

	@Override
	public Mono<Void> delete(TokenKey key) {
		String redisKey = this.keys.of(key);
		return Mono.defer(() -> {
			invalidateNear(redisKey);
			return guarded("delete", (redis) -> redis.keyCommands().unlink(buffer(redisKey))).then();
		}).then(publishInvalidation(redisKey));
	}

	/**
	 * Delete the entry only while it holds the rejected token, atomically on the server,
	 * as {@link RedisTokenCache#delete(TokenKey, CachedToken)} does.
	 */
	@Override
	public Mono<Void> delete(TokenKey key, CachedToken rejected) {
		String redisKey = this.keys.of(key);
		return Mono.defer(() -> {
			invalidateNear(redisKey);
			return guarded("delete", (redis) -> redis.stringCommands().get(buffer(redisKey))).flatMap((buffer) -> {
				byte[] value = bytes(buffer);
				return decode(redisKey, value).filter((current) -> current.sameTokenAs(rejected))
					.flatMap((current) -> compareAndDelete(redisKey, value))
					.then();
			});
		})
			// Even when Redis holds a newer token already: other near caches may still hold
			// the rejected one.
			.then(publishInvalidation(redisKey));
	}

	@Override
	public Mono<Void> clear() {
		ScanOptions options = ScanOptions.scanOptions().match(this.keys.pattern()).count(500).build();
		// One UNLINK per key: keys of one scan may sit in different slots of a cluster.
		return Mono.defer(() -> {
			NearCache near = this.nearCache;
			if (near != null) {
				near.invalidateAll();
			}
			return connection().flatMap((redis) -> redis.keyCommands()
				.scan(options)
				.flatMap((key) -> redis.keyCommands().unlink(key), UNLINK_CONCURRENCY)
				.then());
		}).then(publishInvalidation(NearCache.ALL));
	}

	/**
	 * Take the fetch lease of a key with {@code SET NX PX} and a random owner value, as
	 * {@link RedisTokenCache#tryLock(TokenKey)} does.
	 * @return the lease; empty while another instance holds it; a lease that coordinates
	 * nothing when Redis fails, so the caller fetches at once
	 */
	@Override
	public Mono<Lease> tryLock(TokenKey key) {
		return Mono.defer(() -> {
			ByteBuffer lockKey = buffer(this.keys.lockOf(key));
			byte[] owner = RedisTokenCache.owner();
			Lease noLease = Mono::empty;
			Expiration expiration = Expiration.milliseconds(this.leaseTime.toMillis());
			return guarded("lock",
					(redis) -> redis.stringCommands()
						.set(lockKey.duplicate(), ByteBuffer.wrap(owner), expiration, SetOption.ifAbsent())
						.defaultIfEmpty(false))
				.map(Optional::of)
				.defaultIfEmpty(Optional.empty())
				.flatMap((acquired) -> {
					if (acquired.isEmpty()) {
						return Mono.just(noLease);
					}
					if (!acquired.get()) {
						return Mono.empty();
					}
					Lease lease = () -> guarded("unlock", (redis) -> compareAndDeleteCommand(redis, lockKey, owner))
						.then();
					return Mono.just(lease);
				});
		});
	}

	@Override
	public Duration leaseTime() {
		return this.leaseTime;
	}

	private void invalidateNear(String redisKey) {
		NearCache near = this.nearCache;
		if (near != null) {
			near.invalidate(redisKey);
		}
	}

	/**
	 * Tell every near cache of the fleet, after Redis has changed. Carries a Redis key,
	 * never a token.
	 */
	private Mono<Void> publishInvalidation(String message) {
		return Mono.defer(() -> guarded("publish",
				(redis) -> redis.pubSubCommands().publish(buffer(this.keys.invalidationChannel()), buffer(message))))
			.then();
	}

	private Mono<CachedToken> decode(String redisKey, byte[] value) {
		TokenValueCodec.Decoded decoded = this.codec.decode(redisKey, value);
		if (decoded instanceof TokenValueCodec.Token token) {
			return Mono.just(token.token());
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
			return compareAndDelete(redisKey, value).then(Mono.empty());
		}
		if (decoded instanceof TokenValueCodec.Unreadable unreadable) {
			TokenValueCodec.logUnreadable(logger, this.unreadableValues.incrementAndGet(), redisKey, unreadable);
		}
		else if (logger.isDebugEnabled()) {
			logger.debug("Ignoring a value under " + redisKey + " written in a newer format (version "
					+ ((TokenValueCodec.Unsupported) decoded).version() + ")");
		}
		return Mono.empty();
	}

	private Mono<CachedToken> compareAndDelete(String redisKey, byte[] expected) {
		ByteBuffer key = buffer(redisKey);
		return guarded("delete", (redis) -> compareAndDeleteCommand(redis, key, expected)).then(Mono.empty());
	}

	private static Mono<Long> compareAndDeleteCommand(ReactiveRedisConnection redis, ByteBuffer key, byte[] expected) {
		return redis.scriptingCommands()
			.<Long>evalSha(COMPARE_AND_DELETE.getSha1(), ReturnType.INTEGER, 1, key.duplicate(),
					ByteBuffer.wrap(expected))
			.onErrorResume(ReactiveRedisTokenCache::noScript,
					(ex) -> redis.scriptingCommands()
						.eval(buffer(COMPARE_AND_DELETE.getScriptAsString()), ReturnType.INTEGER, 1, key.duplicate(),
								ByteBuffer.wrap(expected)))
			.next();
	}

	/**
	 * Run one Redis command behind the circuit breaker and the timeout: a failure, a
	 * timeout or an open circuit completes empty; only the breaker hears about it.
	 */
	private <T> Mono<T> guarded(String operation,
			java.util.function.Function<ReactiveRedisConnection, Mono<T>> command) {
		return Mono.defer(() -> {
			if (!this.breaker.permit()) {
				return Mono.empty();
			}
			long started = this.breaker.now();
			return connection().flatMap(command)
				.timeout(this.timeout)
				.doOnSuccess((value) -> this.breaker.succeeded(started))
				.onErrorResume((ex) -> {
					this.breaker.failed(operation, ex);
					return Mono.empty();
				});
		});
	}

	private Mono<ReactiveRedisConnection> connection() {
		ReactiveRedisConnection current = this.connection;
		if (current != null) {
			return Mono.just(current);
		}
		Supplier<ReactiveRedisConnection> connect = this::connect;
		return Mono.fromSupplier(connect).subscribeOn(Schedulers.boundedElastic());
	}

	private ReactiveRedisConnection connect() {
		synchronized (this.connectionMonitor) {
			ReactiveRedisConnection current = this.connection;
			if (current == null) {
				current = this.connectionFactory.getReactiveConnection();
				this.connection = current;
			}
			return current;
		}
	}

	private static boolean noScript(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause.getMessage() != null && cause.getMessage().contains("NOSCRIPT")) {
				return true;
			}
		}
		return false;
	}

	private static ByteBuffer buffer(String value) {
		return ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8));
	}

	private static byte[] bytes(ByteBuffer buffer) {
		byte[] bytes = new byte[buffer.remaining()];
		buffer.duplicate().get(bytes);
		return bytes;
	}

	private static String script(String name) {
		try (InputStream in = new ClassPathResource(name, ReactiveRedisTokenCache.class).getInputStream()) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
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
		return this.breaker.failures();
	}

	/**
	 * Return how many operations were not sent to Redis because it was failing.
	 * @return the number of skipped operations
	 */
	public long skipped() {
		return this.breaker.skipped();
	}

	/**
	 * Return how many corrupt or foreign values were found (and deleted) under the prefix.
	 * @return the number of corrupt values
	 */
	public long corruptValues() {
		return this.corruptValues.get();
	}

	/**
	 * Return how many values were left in Redis because this instance cannot open them
	 * (see {@link RedisTokenCache#unreadableValues()}).
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
		return this.breaker.isOpen();
	}

	/**
	 * Release the connection (a shared native connection stays open for its factory).
	 */
	@Override
	public void close() {
		synchronized (this.connectionMonitor) {
			ReactiveRedisConnection current = this.connection;
			this.connection = null;
			if (current != null) {
				current.close();
			}
		}
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
		return "ReactiveRedisTokenCache[prefix=" + this.keys.prefix() + ", encrypted=" + this.codec.isSealing()
				+ ", nearCache=" + (this.nearCache != null) + "]";
	}

	/**
	 * A value read from Redis with its {@code PTTL} ({@code -1}: no expiry, {@code -2}: gone).
	 */
	private record ValueAndTtl(byte[] value, long pttlMillis) {

	}

	/**
	 * Builds a {@link ReactiveRedisTokenCache}; the settings mean what they mean for
	 * {@link RedisTokenCache.Builder}.
	 */
	public static final class Builder {

		private final ReactiveRedisConnectionFactory connectionFactory;

		private String keyPrefix = RedisTokenCache.DEFAULT_KEY_PREFIX;

		private Duration expiryBuffer = Duration.ofSeconds(30);

		private byte @Nullable [] encryptionKey;

		private List<byte[]> previousEncryptionKeys = List.of();

		private Duration timeout = Duration.ofMillis(200);

		private int failureThreshold = 5;

		private Duration openDuration = Duration.ofSeconds(5);

		private Clock clock = Clock.systemUTC();

		private Duration leaseTime = RedisTokenCache.DEFAULT_LEASE_TIME;

		private @Nullable NearCache nearCache;

		private Builder(ReactiveRedisConnectionFactory connectionFactory) {
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
		 * Set how long a fetch lease lasts unless released (default 5s).
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
		 * Serve hits from a near cache in front of Redis (default: none); share the one of
		 * the application's blocking Redis cache.
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
		public ReactiveRedisTokenCache build() {
			return new ReactiveRedisTokenCache(this);
		}

	}

}
