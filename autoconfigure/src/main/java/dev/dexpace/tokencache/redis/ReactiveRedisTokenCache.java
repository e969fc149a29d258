package dev.dexpace.tokencache.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.ReactiveTokenEndpointBackoffStore;
import dev.dexpace.tokencache.ReactiveTokenFetchLock;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStringCommands.SetOption;
import org.springframework.data.redis.connection.ReturnType;
import org.springframework.data.redis.core.ScanOptions;
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
 * served from memory; deletes and clears are published on the same channel. It reports to
 * the same listener and the same status ({@link RedisTokenCacheStatus}) as the blocking
 * cache, so its failures, circuit and corrupt values show in metrics and health.
 *
 * @since 0.1.0
 */
public final class ReactiveRedisTokenCache extends AbstractRedisTokenCache
		implements ReactiveTokenCache, ReactiveTokenFetchLock, ReactiveTokenEndpointBackoffStore, AutoCloseable {

	private static final Log logger = LogFactory.getLog(ReactiveRedisTokenCache.class);

	private static final int UNLINK_CONCURRENCY = 16;

	private final ReactiveRedisConnectionFactory connectionFactory;

	private final Object connectionMonitor = new Object();

	private volatile @Nullable ReactiveRedisConnection connection;

	private ReactiveRedisTokenCache(ReactiveRedisConnectionFactory connectionFactory, RedisCacheSettings settings) {
		super(settings);
		this.connectionFactory = connectionFactory;
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
	 * {@inheritDoc}
	 * <p>
	 * Blocks the calling thread: never call it on an event loop.
	 */
	@Override
	public boolean ping(Duration maxWait) {
		try {
			String pong = connection().flatMap(ReactiveRedisConnection::ping).block(maxWait);
			return pong != null;
		}
		catch (RuntimeException ex) {
			if (logger.isDebugEnabled()) {
				logger.debug("Reactive Redis token cache could not reach Redis", ex);
			}
			return false;
		}
	}

	@Override
	public Mono<CachedToken> get(TokenKey key) {
		String redisKey = this.keys.of(key);
		NearCache near = nearCache();
		if (near != null) {
			return Mono.defer(() -> {
				CachedToken hit = near.get(redisKey);
				return (hit != null) ? Mono.just(hit) : getWithTtl(key, redisKey, near);
			});
		}
		return guarded("get", (redis) -> redis.stringCommands().get(buffer(redisKey)))
			.flatMap((buffer) -> {
				byte[] value = bytes(buffer);
				return settle(redisKey, value, read(key, redisKey, value));
			})
			.flatMap((token) -> needsRedisClock(token) ? getWithTtl(key, redisKey, null) : Mono.just(token));
	}

	/**
	 * Read the value and its remaining life together (both sent at once); on a near miss
	 * keep a copy for no longer than the key lives.
	 */
	private Mono<CachedToken> getWithTtl(TokenKey tokenKey, String redisKey, @Nullable NearCache near) {
		long epoch = (near != null) ? near.epoch() : 0;
		ByteBuffer key = buffer(redisKey);
		return guarded("get",
				(redis) -> Mono.zip(redis.stringCommands().get(key), redis.keyCommands().pTtl(key.duplicate())))
			.flatMap((read) -> {
				byte[] value = bytes(read.getT1());
				return settle(redisKey, value, readWithTtl(tokenKey, redisKey, value, read.getT2(), near, epoch));
			});
	}

	/**
	 * Delete a corrupt value (the exact bytes read) and return the token read, if any.
	 */
	private Mono<CachedToken> settle(String redisKey, byte[] value, Read read) {
		if (read.corrupt()) {
			return compareAndDelete(redisKey, value).then(Mono.empty());
		}
		return Mono.justOrEmpty(read.token());
	}

	@Override
	public Mono<Void> put(TokenKey key, CachedToken token) {
		return Mono.defer(() -> {
			Write write = write(key, token);
			if (write == null) {
				return Mono.empty();
			}
			return guarded("put", (redis) -> redis.stringCommands()
				.set(buffer(write.redisKey()), ByteBuffer.wrap(write.value()), Expiration.milliseconds(write.ttlMillis()),
						SetOption.upsert()))
				.filter(Boolean.TRUE::equals)
				.doOnNext((written) -> write.written())
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
				return settle(redisKey, value, read(key, redisKey, value)).filter((current) -> current.sameTokenAs(rejected))
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
		ScanOptions options = ScanOptions.scanOptions().match(this.keys.pattern()).count(SCAN_BATCH).build();
		// One UNLINK per key: keys of one scan may sit in different slots of a cluster.
		return Mono.defer(() -> {
			invalidateNear(NearCache.ALL);
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
			byte[] owner = owner();
			Expiration expiration = Expiration.milliseconds(leaseTime().toMillis());
			return guarded("lock",
					(redis) -> redis.stringCommands()
						.set(lockKey.duplicate(), ByteBuffer.wrap(owner), expiration, SetOption.ifAbsent())
						.defaultIfEmpty(false))
				.map(Optional::of)
				.defaultIfEmpty(Optional.empty())
				.<Lease>mapNotNull((acquired) -> lease(acquired.orElse(null), Mono::empty,
						() -> () -> guarded("unlock", (redis) -> compareAndDeleteCommand(redis, lockKey, owner))
							.then()));
		});
	}

	/**
	 * Publish the wait with {@code SET … PX}, as the blocking cache does.
	 */
	@Override
	public Mono<Void> publishBusy(String tokenUri, Duration wait) {
		return Mono.defer(() -> {
			long waitMillis = wait.toMillis();
			if (waitMillis <= 0) {
				return Mono.empty();
			}
			ByteBuffer backoffKey = buffer(this.keys.backoffOf(tokenUri));
			return guarded("backoff", (redis) -> redis.stringCommands()
				.set(backoffKey, ByteBuffer.wrap(BUSY), Expiration.milliseconds(waitMillis), SetOption.upsert()))
				.then();
		});
	}

	/**
	 * Read the wait as the key's {@code PTTL}, as the blocking cache does.
	 */
	@Override
	public Mono<Duration> busy(String tokenUri) {
		return Mono.defer(() -> {
			ByteBuffer backoffKey = buffer(this.keys.backoffOf(tokenUri));
			return guarded("backoff", (redis) -> redis.keyCommands().pTtl(backoffKey))
				.filter((pttl) -> pttl > 0)
				.map(Duration::ofMillis);
		});
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

	private Mono<Long> compareAndDelete(String redisKey, byte[] expected) {
		ByteBuffer key = buffer(redisKey);
		return guarded("delete", (redis) -> compareAndDeleteCommand(redis, key, expected));
	}

	private static Mono<Long> compareAndDeleteCommand(ReactiveRedisConnection redis, ByteBuffer key, byte[] expected) {
		return redis.scriptingCommands()
			.<Long>evalSha(CacheCommands.COMPARE_AND_DELETE.getSha1(), ReturnType.INTEGER, 1, key.duplicate(),
					ByteBuffer.wrap(expected))
			.onErrorResume(ReactiveRedisTokenCache::noScript,
					(ex) -> redis.scriptingCommands()
						.eval(buffer(CacheCommands.COMPARE_AND_DELETE.getScriptAsString()), ReturnType.INTEGER, 1, key.duplicate(),
								ByteBuffer.wrap(expected)))
			.next();
	}

	/**
	 * Run one Redis command behind the circuit breaker and the timeout: a failure, a
	 * timeout or an open circuit completes empty; only the breaker hears about it.
	 */
	private <T> Mono<T> guarded(String operation, Function<ReactiveRedisConnection, Mono<T>> command) {
		return Mono.defer(() -> {
			if (!this.breaker.permit()) {
				return Mono.empty();
			}
			long started = this.breaker.now();
			return connection().flatMap(command)
				.timeout(this.settings.timeout())
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
	 * Builds a {@link ReactiveRedisTokenCache}; the settings mean what they mean for
	 * {@link RedisTokenCache.Builder}.
	 */
	public static final class Builder extends RedisCacheBuilder<Builder> {

		private final ReactiveRedisConnectionFactory connectionFactory;

		private Builder(ReactiveRedisConnectionFactory connectionFactory) {
			this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
		}

		/**
		 * Take every setting of the application's blocking cache (key prefix, expiry
		 * buffer, encryption keys, timeouts, lease, clock, near cache), so that both
		 * write and read the same keys and values.
		 * @param cache the blocking cache
		 * @return this builder
		 */
		public Builder settingsOf(RedisTokenCache cache) {
			return settings(cache.settings());
		}

		/**
		 * Build the cache.
		 * @return the cache
		 * @throws IllegalArgumentException if a setting is out of its range
		 */
		public ReactiveRedisTokenCache build() {
			return new ReactiveRedisTokenCache(this.connectionFactory, toSettings());
		}

	}

}
