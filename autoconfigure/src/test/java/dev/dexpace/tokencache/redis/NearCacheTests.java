package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.CachedToken;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The near cache on a clock of its own: copies expire with their Redis key or at the
 * time-to-live, a read that overlaps an invalidation is not kept, messages drop one key or
 * all, the size is bounded, and nothing is served while invalidations cannot arrive.
 */
class NearCacheTests {

	private static final String KEY = "dexpace:token-cache:system:api:00ff";

	private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

	private final NearCache nearCache = new NearCache(8, Duration.ofMinutes(1), this.nanos::get);

	NearCacheTests() {
		this.nearCache.assumeListening();
	}

	@Test
	void aCopyExpiresWithItsRedisKey() {
		this.nearCache.put(KEY, token("a"), 300, this.nearCache.epoch());
		advance(Duration.ofMillis(299));
		assertThat(this.nearCache.get(KEY)).isNotNull();
		advance(Duration.ofMillis(1));
		assertThat(this.nearCache.get(KEY)).isNull();
	}

	@Test
	void theTimeToLiveBoundsACopyOfALongLivedKey() {
		this.nearCache.put(KEY, token("a"), Duration.ofMinutes(10).toMillis(), this.nearCache.epoch());
		advance(Duration.ofSeconds(59));
		assertThat(this.nearCache.get(KEY)).isNotNull();
		advance(Duration.ofSeconds(1));
		assertThat(this.nearCache.get(KEY)).isNull();
	}

	@Test
	void aReadThatOverlapsAnInvalidationIsNotKept() {
		long epoch = this.nearCache.epoch();
		this.nearCache.received(KEY);
		this.nearCache.put(KEY, token("stale"), 60_000, epoch);
		assertThat(this.nearCache.get(KEY)).isNull();
		this.nearCache.put(KEY, token("fresh"), 60_000, this.nearCache.epoch());
		assertThat(this.nearCache.get(KEY)).extracting(CachedToken::tokenValue).isEqualTo("fresh");
	}

	@Test
	void aMessageDropsItsKeyAndTheStarDropsAll() {
		String other = KEY + "11";
		this.nearCache.put(KEY, token("a"), 60_000, this.nearCache.epoch());
		this.nearCache.put(other, token("b"), 60_000, this.nearCache.epoch());
		this.nearCache.received(KEY);
		assertThat(this.nearCache.get(KEY)).isNull();
		assertThat(this.nearCache.get(other)).isNotNull();
		this.nearCache.received(NearCache.ALL);
		assertThat(this.nearCache.get(other)).isNull();
		assertThat(this.nearCache.invalidationsReceived()).isEqualTo(2);
	}

	@Test
	void theNumberOfCopiesIsBounded() {
		for (int i = 0; i < 100; i++) {
			this.nearCache.put(KEY + i, token("t" + i), 60_000, this.nearCache.epoch());
		}
		this.nearCache.cleanUp();
		assertThat(this.nearCache.size()).isLessThanOrEqualTo(8);
	}

	@Test
	void nothingIsServedOrKeptWhileInvalidationsCannotArrive() {
		NearCache unsubscribed = new NearCache(8, Duration.ofMinutes(1), this.nanos::get);
		unsubscribed.put(KEY, token("a"), 60_000, unsubscribed.epoch());
		assertThat(unsubscribed.get(KEY)).isNull();
		assertThat(unsubscribed.size()).isZero();
		assertThat(unsubscribed.isListening()).isFalse();
	}

	@Test
	void aCopyWithNoLifeLeftIsNotKept() {
		this.nearCache.put(KEY, token("a"), 0, this.nearCache.epoch());
		assertThat(this.nearCache.get(KEY)).isNull();
	}

	@Test
	void badSettingsAreRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> new NearCache(0, Duration.ofMinutes(1)));
		assertThatIllegalArgumentException().isThrownBy(() -> new NearCache(1, Duration.ZERO));
	}

	@Test
	void toStringShowsNoToken() {
		this.nearCache.put(KEY, token("secret-token-value"), 60_000, this.nearCache.epoch());
		assertThat(this.nearCache.toString()).doesNotContain("secret-token-value").contains("size=1");
	}

	private void advance(Duration duration) {
		this.nanos.addAndGet(duration.toNanos());
	}

	private static CachedToken token(String value) {
		Instant now = Instant.now();
		return new CachedToken(value, "Bearer", Set.of("api.read"), now, now.plus(Duration.ofHours(1)));
	}

}
