package dev.dexpace.tokencache.expiry;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CacheLifetime}.
 */
class CacheLifetimeTests {

	private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

	@Test
	void remainingLifeMinusBuffer() {
		assertThat(CacheLifetime.of(NOW.plusSeconds(600), Duration.ofSeconds(30), NOW)).hasSeconds(570);
	}

	@Test
	void neverNegative() {
		assertThat(CacheLifetime.of(NOW.plusSeconds(10), Duration.ofSeconds(30), NOW)).isZero();
		assertThat(CacheLifetime.of(NOW.minusSeconds(10), Duration.ZERO, NOW)).isZero();
	}

	@Test
	void aFarExpiryIsCappedSoNoCacheClockOverflows() {
		Duration lifetime = CacheLifetime.of(Instant.MAX, Duration.ZERO, NOW);
		assertThat(lifetime).isEqualTo(TokenLifetimeResolver.MAX_LIFETIME);
		assertThat(lifetime.toNanos()).isPositive();
	}

}
