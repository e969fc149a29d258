package dev.dexpace.tokencache.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The settings of a Redis token cache, blocking or reactive, and the single home of their
 * defaults and of their validation: two instances built from equal settings write and
 * read the same keys and values, whichever client they use.
 *
 * @param keyPrefix the prefix of every key
 * @param expiryBuffer how long before its real expiry a token is dropped
 * @param encryptionKey the AES-256 key that seals values, or {@code null} for plain values
 * @param previousEncryptionKeys keys still read during a rotation, never used to seal
 * @param timeout how long one Redis operation may take before it is a miss
 * @param failureThreshold how many consecutive failures open the circuit
 * @param openDuration how long Redis is left alone after repeated failures
 * @param leaseTime how long a fetch lease lasts unless released
 * @param clock the clock that turns an absolute expiry into a TTL
 * @param nearCache the near cache in front of Redis, or {@code null}
 */
record RedisCacheSettings(String keyPrefix, Duration expiryBuffer, byte @Nullable [] encryptionKey,
		List<byte[]> previousEncryptionKeys, Duration timeout, int failureThreshold, Duration openDuration,
		Duration leaseTime, Clock clock, @Nullable NearCache nearCache) {

	static final String DEFAULT_KEY_PREFIX = "dexpace:token-cache:";

	static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(5);

	static final RedisCacheSettings DEFAULTS = new RedisCacheSettings(DEFAULT_KEY_PREFIX, Duration.ofSeconds(30), null,
			List.of(), Duration.ofMillis(200), 5, Duration.ofSeconds(5), DEFAULT_LEASE_TIME, Clock.systemUTC(), null);

	RedisCacheSettings {
		if (expiryBuffer.isNegative()) {
			throw new IllegalArgumentException("expiryBuffer must not be negative");
		}
		if (encryptionKey != null) {
			encryptionKey = checkKey(encryptionKey, "The encryption key").clone();
		}
		previousEncryptionKeys = previousEncryptionKeys.stream()
			.map((key) -> checkKey(key, "A previous encryption key").clone())
			.toList();
		if (timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("timeout must be positive");
		}
		if (failureThreshold <= 0) {
			throw new IllegalArgumentException("failureThreshold must be positive");
		}
		if (openDuration.isNegative() || openDuration.isZero()) {
			throw new IllegalArgumentException("openDuration must be positive");
		}
		if (leaseTime.toMillis() <= 0) {
			throw new IllegalArgumentException("leaseTime must be at least 1ms");
		}
	}

	private static byte[] checkKey(byte[] key, String name) {
		if (key.length != AesGcmSealer.KEY_BYTES) {
			// The length only: never the key.
			throw new IllegalArgumentException(
					name + " must be " + AesGcmSealer.KEY_BYTES + " bytes (256 bits), not " + key.length + " bytes");
		}
		return key;
	}

	@Override
	public String toString() {
		return "RedisCacheSettings[prefix=" + this.keyPrefix + ", encrypted=" + (this.encryptionKey != null)
				+ ", nearCache=" + (this.nearCache != null) + "]";
	}

}
