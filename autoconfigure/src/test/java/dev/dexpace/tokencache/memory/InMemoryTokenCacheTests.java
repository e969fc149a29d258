package dev.dexpace.tokencache.memory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link InMemoryTokenCache}.
 */
class InMemoryTokenCacheTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

	private final AtomicLong nanos = new AtomicLong();

	private final Ticker ticker = this.nanos::get;

	private final InMemoryTokenCache cache = new InMemoryTokenCache(2, 3, Duration.ofSeconds(30),
			Clock.fixed(NOW, ZoneOffset.UTC), this.ticker);

	private final TokenKey system = TokenKey.system("api", CLIENT, List.of("read"), null);

	@Test
	void returnsWhatWasPut() {
		CachedToken token = token("a", Duration.ofMinutes(10));
		this.cache.put(this.system, token);
		assertThat(this.cache.get(this.system)).isEqualTo(token);
	}

	@Test
	void entryExpiresAtTokenExpiryMinusBufferOnTheMonotonicClock() {
		this.cache.put(this.system, token("a", Duration.ofMinutes(10)));
		advance(Duration.ofMinutes(9).plusSeconds(29));
		assertThat(this.cache.get(this.system)).isNotNull();
		advance(Duration.ofSeconds(1));
		assertThat(this.cache.get(this.system)).isNull();
	}

	@Test
	void aTokenInsideTheBufferIsNotKept() {
		this.cache.put(this.system, token("a", Duration.ofSeconds(20)));
		assertThat(this.cache.get(this.system)).isNull();
	}

	@Test
	void anAlreadyExpiredTokenIsNotKept() {
		this.cache.put(this.system, token("a", Duration.ofMinutes(-1)));
		assertThat(this.cache.get(this.system)).isNull();
	}

	@Test
	void deleteIsIdempotent() {
		this.cache.put(this.system, token("a", Duration.ofMinutes(10)));
		this.cache.delete(this.system);
		this.cache.delete(this.system);
		assertThat(this.cache.get(this.system)).isNull();
	}

	@Test
	void conditionalDeleteOfAReplacedTokenLeavesTheNewToken() {
		CachedToken old = token("old", Duration.ofMinutes(10));
		CachedToken fresh = token("new", Duration.ofMinutes(10));
		this.cache.put(this.system, old);
		this.cache.put(this.system, fresh);
		this.cache.delete(this.system, old);
		assertThat(this.cache.get(this.system)).isEqualTo(fresh);
	}

	@Test
	void conditionalDeleteOfTheHeldTokenRemovesIt() {
		CachedToken held = token("held", Duration.ofMinutes(10));
		this.cache.put(this.system, held);
		this.cache.delete(this.system, token("held", Duration.ofMinutes(1)));
		assertThat(this.cache.get(this.system)).isNull();
	}

	@Test
	void tiersAreBoundedSeparately() {
		for (int i = 0; i < 10; i++) {
			this.cache.put(TokenKey.user("exchange", CLIENT, "subject-" + i, List.of(), null),
					token("u" + i, Duration.ofMinutes(10)));
			assertThat(this.cache.size(TokenKind.USER)).isLessThanOrEqualTo(3);
		}
		this.cache.put(this.system, token("s", Duration.ofMinutes(10)));
		for (int i = 0; i < 10; i++) {
			this.cache.put(TokenKey.user("exchange", CLIENT, "other-" + i, List.of(), null),
					token("o" + i, Duration.ofMinutes(10)));
		}
		assertThat(this.cache.size(TokenKind.USER)).isEqualTo(3);
		assertThat(this.cache.get(this.system)).isNotNull();
	}

	@Test
	void clearEmptiesBothTiers() {
		this.cache.put(this.system, token("s", Duration.ofMinutes(10)));
		this.cache.put(TokenKey.user("exchange", CLIENT, "subject", List.of(), null),
				token("u", Duration.ofMinutes(10)));
		this.cache.clear();
		assertThat(this.cache.size(TokenKind.SYSTEM)).isZero();
		assertThat(this.cache.size(TokenKind.USER)).isZero();
	}

	@Test
	void toStringShowsNoTokens() {
		this.cache.put(this.system, token("secret-value", Duration.ofMinutes(10)));
		assertThat(this.cache.toString()).doesNotContain("secret-value");
	}

	@Test
	void rejectsNonPositiveBounds() {
		assertThatIllegalArgumentException().isThrownBy(() -> new InMemoryTokenCache(0, 1, Duration.ZERO));
		assertThatIllegalArgumentException().isThrownBy(() -> new InMemoryTokenCache(1, 1, Duration.ofSeconds(-1)));
	}

	private void advance(Duration duration) {
		this.nanos.addAndGet(duration.toNanos());
	}

	private static CachedToken token(String value, Duration lifetime) {
		return new CachedToken(value, "Bearer", Set.of("read"), NOW, NOW.plus(lifetime));
	}

}
