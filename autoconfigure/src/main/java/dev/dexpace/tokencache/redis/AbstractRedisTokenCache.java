package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.expiry.CacheLifetime;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * What the blocking and the reactive Redis caches share: their settings, keys, value
 * codec, circuit breaker, the handling of corrupt and unreadable values, which clock
 * decides a token's remaining life, and the state they report. The two caches differ
 * only in how they send commands and sequence the work, never in what they decide.
 * <p>
 * <b>Whose clock.</b> Every instance writes a key with a TTL computed on its own clock
 * (the token's remaining life minus the expiry buffer) and Redis expires it on Redis'
 * clock, the one clock the fleet shares. A reader therefore trusts the key's
 * {@code PTTL} over the absolute expiry another instance wrote: a value Redis still
 * holds is not dropped because the reader's clock runs ahead, and the token is handed
 * out with an expiry rebased on the reader's clock ({@code now + PTTL + buffer}) when the
 * two disagree by more than {@link #CLOCK_TOLERANCE}.
 */
abstract class AbstractRedisTokenCache implements RedisTokenCacheStatus, TokenCacheListenerAware {

	/**
	 * How far a token's written expiry and Redis' may differ (round trips, rounding)
	 * before Redis' is taken.
	 */
	static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(1);

	/**
	 * A {@code PTTL} that was not read.
	 */
	static final long UNKNOWN_TTL = Long.MIN_VALUE;

	/** The value of a published wait: only its time to live counts. */
	static final byte[] BUSY = { '1' };

	static final int SCAN_BATCH = 500;

	private final Log logger = LogFactory.getLog(getClass());

	final RedisCacheSettings settings;

	final RedisKeys keys;

	final TokenValueCodec codec;

	final RedisCircuitBreaker breaker;

	private final AtomicLong corruptValues = new AtomicLong();

	private final AtomicLong unreadableValues = new AtomicLong();

	volatile TokenCacheListener listener = TokenCacheListener.NONE;

	AbstractRedisTokenCache(RedisCacheSettings settings) {
		this.settings = settings;
		this.keys = new RedisKeys(settings.keyPrefix());
		this.codec = TokenValueCodec.of(settings.encryptionKey(), settings.previousEncryptionKeys());
		this.breaker = new RedisCircuitBreaker(settings.failureThreshold(), settings.openDuration(), System::nanoTime);
	}

	/**
	 * Open the connection to Redis now, so that the first cached call does not pay for
	 * connecting (and, with a short timeout, count it as a failure). Never throws: when
	 * Redis cannot be reached the cache starts anyway, fails soft and connects later (the
	 * reactive cache off the event loop). Blocks the calling thread: call it at start-up,
	 * never on an event loop.
	 * @param maxWait how long to wait for Redis
	 * @return whether Redis answered
	 */
	public final boolean warmUp(Duration maxWait) {
		return ping(maxWait);
	}

	/**
	 * Return the TTL to write a token with: its remaining life on this instance's clock
	 * minus the expiry buffer; zero or less when it is not worth writing.
	 */
	final long ttlMillis(CachedToken token) {
		return CacheLifetime.of(token.expiresAt(), this.settings.expiryBuffer(), this.settings.clock().instant())
			.toMillis();
	}

	/**
	 * Return the token as this instance must see it, given what Redis says of its key.
	 * @param token the token read
	 * @param pttlMillis the key's {@code PTTL} ({@code -1}: no expiry, {@code -2}: gone),
	 * or {@link #UNKNOWN_TTL}
	 * @return the token, rebased on Redis' remaining life when the clocks disagree;
	 * {@code null} when it has no life left
	 */
	final @Nullable CachedToken alive(CachedToken token, long pttlMillis) {
		if (pttlMillis > 0) {
			Instant byRedis = this.settings.clock().instant().plusMillis(pttlMillis).plus(this.settings.expiryBuffer());
			if (Duration.between(token.expiresAt(), byRedis).abs().compareTo(CLOCK_TOLERANCE) <= 0) {
				return token;
			}
			Instant issuedAt = token.issuedAt();
			return new CachedToken(token.tokenValue(), token.tokenType(), token.scopes(),
					(issuedAt != null && issuedAt.isAfter(byRedis)) ? null : issuedAt, byRedis);
		}
		if (pttlMillis == -1 || pttlMillis == UNKNOWN_TTL) {
			return (ttlMillis(token) <= 0) ? null : token;
		}
		return null;
	}

	/** Our clock says the token read is gone while Redis still holds it: Redis' clock decides. */
	final boolean needsRedisClock(CachedToken token) {
		return ttlMillis(token) <= 0;
	}

	/**
	 * {@link #read} a value read with its key's {@code PTTL} and rebase its token on it
	 * ({@link #alive}); on a near miss keep a copy for no longer than the key lives.
	 */
	final Read readWithTtl(TokenKey key, String redisKey, byte[] value, long pttlMillis, @Nullable NearCache near,
			long epoch) {
		Read read = read(key, redisKey, value);
		CachedToken token = read.token();
		CachedToken alive = (token != null) ? alive(token, pttlMillis) : null;
		if (near != null && alive != null && pttlMillis > 0) {
			near.put(redisKey, alive, Math.min(ttlMillis(alive), pttlMillis), epoch);
		}
		return (alive != token) ? new Read(alive, read.corrupt()) : read;
	}

	/** Return what a {@code put} writes, or {@code null}: no life left worth writing. */
	final @Nullable Write write(TokenKey key, CachedToken token) {
		long ttlMillis = ttlMillis(token);
		if (ttlMillis <= 0) {
			return null;
		}
		String redisKey = this.keys.of(key);
		NearCache near = nearCache();
		return new Write(redisKey, this.codec.encode(redisKey, token, key.keyThumbprint()), ttlMillis, token, near,
				(near != null) ? near.epoch() : 0);
	}

	/**
	 * Decode a value read under one of our keys. A corrupt value is counted, logged and
	 * reported as an invalidation; the caller deletes it (compare-and-delete of the bytes
	 * read). An unreadable or newer value is a miss left to its TTL.
	 * @param key the token key (its tier, and the thumbprint a bound token must record)
	 * @param redisKey the Redis key
	 * @param value the value
	 * @return what it holds
	 */
	final Read read(TokenKey key, String redisKey, byte[] value) {
		TokenKind kind = key.kind();
		TokenValueCodec.Decoded decoded = this.codec.decode(redisKey, value);
		if (decoded instanceof TokenValueCodec.Token token
				&& !Objects.equals(token.keyThumbprint(), key.keyThumbprint())) {
			// A DPoP token records the thumbprint of the key it is bound to; under the key
			// of another (or of a bearer token) it is of no use to anyone.
			decoded = new TokenValueCodec.Corrupt("the token is bound to another key");
		}
		if (decoded instanceof TokenValueCodec.Token token) {
			return new Read(token.token(), false);
		}
		if (decoded instanceof TokenValueCodec.Corrupt corrupt) {
			long count = this.corruptValues.incrementAndGet();
			if (count == 1 || this.logger.isDebugEnabled()) {
				String message = "Deleting a value under " + redisKey + " that is not a valid token (" + corrupt.reason()
						+ ")";
				if (count == 1) {
					this.logger.warn(message + "; further ones are logged at DEBUG");
				}
				else {
					this.logger.debug(message);
				}
			}
			this.listener.invalidated(kind, TokenCacheListener.InvalidationCause.CORRUPT);
			return new Read(null, true);
		}
		if (decoded instanceof TokenValueCodec.Unreadable unreadable) {
			TokenValueCodec.logUnreadable(this.logger, this.unreadableValues.incrementAndGet(), redisKey, unreadable);
		}
		else if (this.logger.isDebugEnabled()) {
			this.logger.debug("Ignoring a value under " + redisKey + " written in a newer format (version "
					+ ((TokenValueCodec.Unsupported) decoded).version() + ")");
		}
		return new Read(null, false);
	}

	final void invalidateNear(String redisKey) {
		NearCache near = this.settings.nearCache();
		if (near != null) {
			if (NearCache.ALL.equals(redisKey)) {
				near.invalidateAll();
			}
			else {
				near.invalidate(redisKey);
			}
		}
	}

	/**
	 * Return what a {@code SET NX PX} of a fetch lease means: the lease, none while
	 * another instance holds it, or, when Redis failed ({@code null}), a lease that
	 * coordinates nothing, so that the caller fetches at once.
	 */
	static <L> @Nullable L lease(@Nullable Boolean acquired, L uncoordinated, Supplier<L> taken) {
		if (acquired == null) {
			return uncoordinated;
		}
		return acquired ? taken.get() : null;
	}

	/**
	 * A value unique to one attempt, so that only the attempt that took a lease removes it.
	 */
	static byte[] owner() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return (Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()))
			.getBytes(StandardCharsets.US_ASCII);
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
	 * Return how long a fetch lease lasts unless released.
	 * @return the lease time
	 */
	public Duration leaseTime() {
		return this.settings.leaseTime();
	}

	@Override
	public void setListener(TokenCacheListener listener) {
		this.listener = listener;
		this.breaker.setListener(listener);
	}

	@Override
	public long failures() {
		return this.breaker.failures();
	}

	@Override
	public long skipped() {
		return this.breaker.skipped();
	}

	@Override
	public long corruptValues() {
		return this.corruptValues.get();
	}

	@Override
	public long unreadableValues() {
		return this.unreadableValues.get();
	}

	@Override
	public boolean isCircuitOpen() {
		return this.breaker.isOpen();
	}

	@Override
	public @Nullable NearCache nearCache() {
		return this.settings.nearCache();
	}

	@Override
	public String toString() {
		return getClass().getSimpleName() + "[prefix=" + this.keys.prefix() + ", encrypted=" + this.codec.isSealing()
				+ ", nearCache=" + (nearCache() != null) + "]";
	}

	/**
	 * What a value holds.
	 *
	 * @param token its token, or {@code null} if none this instance may use
	 * @param corrupt whether it is damaged and must be deleted
	 */
	record Read(@Nullable CachedToken token, boolean corrupt) {

	}

	/**
	 * What a {@code put} writes, and the near cache (with its epoch taken before the
	 * write) that keeps a copy once Redis has it.
	 */
	record Write(String redisKey, byte[] value, long ttlMillis, CachedToken token, @Nullable NearCache near,
			long epoch) {

		/** Redis took the value (a token Redis did not take is not kept here either). */
		void written() {
			if (this.near != null) {
				this.near.put(this.redisKey, this.token, this.ttlMillis, this.epoch);
			}
		}

	}

}
