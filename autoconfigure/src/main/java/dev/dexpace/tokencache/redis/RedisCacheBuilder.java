package dev.dexpace.tokencache.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The settings both Redis cache builders take, with their defaults from
 * {@link RedisCacheSettings#DEFAULTS}; validated when the cache is built.
 *
 * @param <B> the type of the builder
 */
abstract class RedisCacheBuilder<B extends RedisCacheBuilder<B>> {

	private String keyPrefix = RedisCacheSettings.DEFAULTS.keyPrefix();

	private Duration expiryBuffer = RedisCacheSettings.DEFAULTS.expiryBuffer();

	private byte @Nullable [] encryptionKey;

	private List<byte[]> previousEncryptionKeys = List.of();

	private Duration timeout = RedisCacheSettings.DEFAULTS.timeout();

	private int failureThreshold = RedisCacheSettings.DEFAULTS.failureThreshold();

	private Duration openDuration = RedisCacheSettings.DEFAULTS.openDuration();

	private Duration leaseTime = RedisCacheSettings.DEFAULTS.leaseTime();

	private Clock clock = RedisCacheSettings.DEFAULTS.clock();

	private @Nullable NearCache nearCache;

	@SuppressWarnings("unchecked")
	private B self() {
		return (B) this;
	}

	/**
	 * Take every setting of another cache (key prefix, encryption keys, timeouts, lease,
	 * clock, near cache), so that both write and read the same keys and values.
	 */
	B settings(RedisCacheSettings other) {
		this.keyPrefix = other.keyPrefix();
		this.expiryBuffer = other.expiryBuffer();
		this.encryptionKey = other.encryptionKey();
		this.previousEncryptionKeys = other.previousEncryptionKeys();
		this.timeout = other.timeout();
		this.failureThreshold = other.failureThreshold();
		this.openDuration = other.openDuration();
		this.leaseTime = other.leaseTime();
		this.clock = other.clock();
		this.nearCache = other.nearCache();
		return self();
	}

	/**
	 * Set the prefix of every key (default {@value RedisCacheSettings#DEFAULT_KEY_PREFIX}).
	 * @param keyPrefix the prefix
	 * @return this builder
	 */
	public B keyPrefix(String keyPrefix) {
		this.keyPrefix = keyPrefix;
		return self();
	}

	/**
	 * Set how long before its real expiry a token is dropped (default 30s).
	 * @param expiryBuffer the buffer
	 * @return this builder
	 */
	public B expiryBuffer(Duration expiryBuffer) {
		this.expiryBuffer = expiryBuffer;
		return self();
	}

	/**
	 * Seal values with AES-256-GCM under this key (default: stored plain).
	 * @param encryptionKey the 256-bit key, or {@code null} for plain values
	 * @return this builder
	 */
	public B encryptionKey(byte @Nullable [] encryptionKey) {
		this.encryptionKey = encryptionKey;
		return self();
	}

	/**
	 * Also open values sealed with these keys (default: none), never sealing with them:
	 * the keys a fleet used before the current one, while values they sealed may still be
	 * in Redis.
	 * @param previousEncryptionKeys the 256-bit keys
	 * @return this builder
	 */
	public B previousEncryptionKeys(List<byte[]> previousEncryptionKeys) {
		this.previousEncryptionKeys = previousEncryptionKeys;
		return self();
	}

	/**
	 * Set how long one Redis operation may take before it is a miss (default 200ms).
	 * @param timeout the timeout
	 * @return this builder
	 */
	public B timeout(Duration timeout) {
		this.timeout = timeout;
		return self();
	}

	/**
	 * Set how many consecutive failures stop the cache from trying Redis (default 5).
	 * @param failureThreshold the number of failures
	 * @return this builder
	 */
	public B failureThreshold(int failureThreshold) {
		this.failureThreshold = failureThreshold;
		return self();
	}

	/**
	 * Set how long Redis is left alone after repeated failures before it is probed again
	 * (default 5s).
	 * @param openDuration the duration
	 * @return this builder
	 */
	public B openDuration(Duration openDuration) {
		this.openDuration = openDuration;
		return self();
	}

	/**
	 * Set the clock that turns an absolute expiry into a TTL (default: the system clock).
	 * Redis' own expiry of a key wins over this clock when they disagree.
	 * @param clock the clock
	 * @return this builder
	 */
	public B clock(Clock clock) {
		this.clock = clock;
		return self();
	}

	/**
	 * Set how long a fetch lease lasts unless released (default 5s): the longest a holder
	 * that died delays the others.
	 * @param leaseTime the lease time
	 * @return this builder
	 */
	public B leaseTime(Duration leaseTime) {
		this.leaseTime = leaseTime;
		return self();
	}

	/**
	 * Serve hits from a near cache in front of Redis (default: none); the blocking and
	 * the reactive cache of an application share one.
	 * @param nearCache the near cache, subscribed to invalidations of this key prefix
	 * @return this builder
	 */
	public B nearCache(@Nullable NearCache nearCache) {
		this.nearCache = nearCache;
		return self();
	}

	/**
	 * Return the settings, validated.
	 * @return the settings
	 * @throws IllegalArgumentException if a setting is out of its range
	 */
	RedisCacheSettings toSettings() {
		return new RedisCacheSettings(this.keyPrefix, this.expiryBuffer, this.encryptionKey,
				this.previousEncryptionKeys, this.timeout, this.failureThreshold, this.openDuration, this.leaseTime,
				this.clock, this.nearCache);
	}

}
