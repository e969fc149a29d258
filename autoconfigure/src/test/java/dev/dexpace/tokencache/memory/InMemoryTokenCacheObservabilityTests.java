package dev.dexpace.tokencache.memory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link InMemoryTokenCache} reports to its listener and shows to an inspector.
 */
class InMemoryTokenCacheObservabilityTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

	private final AtomicLong nanos = new AtomicLong();

	private final InMemoryTokenCache cache = new InMemoryTokenCache(1, 3, Duration.ofSeconds(30),
			Clock.fixed(NOW, ZoneOffset.UTC), (Ticker) this.nanos::get);

	private final List<String> evictions = new CopyOnWriteArrayList<>();

	@BeforeEach
	void listen() {
		this.cache.setListener(new TokenCacheListener() {

			@Override
			public void evicted(TokenKind kind, EvictionCause cause) {
				InMemoryTokenCacheObservabilityTests.this.evictions.add(kind + " " + cause);
			}

		});
	}

	@Test
	void aFullTierReportsOneEvictionBySize() {
		this.cache.put(TokenKey.system("a", CLIENT, List.of(), null), token("a"));
		this.cache.put(TokenKey.system("b", CLIENT, List.of(), null), token("b"));
		assertThat(this.evictions).containsExactly("SYSTEM SIZE");
		assertThat(this.cache.size(TokenKind.SYSTEM)).isOne();
	}

	@Test
	void anExpiredEntryIsReportedWhenMaintenanceRemovesIt() {
		this.cache.put(TokenKey.user("a", CLIENT, "subject", List.of(), null), token("a"));
		this.nanos.addAndGet(Duration.ofMinutes(10).toNanos());
		assertThat(this.cache.size(TokenKind.USER)).isZero();
		assertThat(this.evictions).containsExactly("USER EXPIRED");
	}

	@Test
	void anExpiredEntryIsReportedWhenAReadFindsIt() {
		TokenKey key = TokenKey.system("a", CLIENT, List.of(), null);
		this.cache.put(key, token("a"));
		this.nanos.addAndGet(Duration.ofMinutes(10).toNanos());
		assertThat(this.cache.get(key)).isNull();
		assertThat(this.cache.get(key)).isNull();
		assertThat(this.evictions).containsExactly("SYSTEM EXPIRED");
	}

	@Test
	void anExpiredEntryPushedOutByTheBoundIsReportedAsExpired() {
		this.cache.put(TokenKey.system("a", CLIENT, List.of(), null), token("a"));
		this.nanos.addAndGet(Duration.ofMinutes(10).toNanos());
		this.cache.put(TokenKey.system("b", CLIENT, List.of(), null), token("b"));
		assertThat(this.evictions).containsExactly("SYSTEM EXPIRED");
		assertThat(this.cache.get(TokenKey.system("b", CLIENT, List.of(), null))).isNotNull();
	}

	@Test
	void anEntryLivesUntilItsDeadlineWhenTheTickerWraps() {
		this.nanos.set(Long.MAX_VALUE - Duration.ofMinutes(1).toNanos());
		TokenKey key = TokenKey.system("a", CLIENT, List.of(), null);
		this.cache.put(key, token("a"));
		// lifetime 4m30s: five minutes to expiry minus the 30 s buffer
		this.nanos.addAndGet(Duration.ofMinutes(4).toNanos());
		assertThat(this.nanos.get()).isNegative();
		assertThat(this.cache.get(key)).isNotNull();
		this.nanos.addAndGet(Duration.ofSeconds(31).toNanos());
		assertThat(this.cache.get(key)).isNull();
	}

	@Test
	void deletesAndReplacementsAreNotEvictions() {
		TokenKey key = TokenKey.system("a", CLIENT, List.of(), null);
		this.cache.put(key, token("a"));
		this.cache.put(key, token("b"));
		this.cache.delete(key);
		this.cache.clear();
		assertThat(this.evictions).isEmpty();
	}

	@Test
	void entriesShowKeysAndExpiryButNoTokenValue() {
		TokenKey user = TokenKey.user("exchange", CLIENT, "subject-token", List.of("read"), "orders");
		this.cache.put(user, token("secret-value"));
		assertThat(this.cache.entries()).singleElement().satisfies((entry) -> {
			assertThat(entry).isEqualTo(new TokenCacheEntry("exchange", TokenKind.USER, Set.of("read"), "orders",
					TokenCacheEntry.keyDigest(user), NOW.plus(Duration.ofMinutes(5))));
			assertThat(entry.toString()).doesNotContain("secret-value").doesNotContain("subject-token");
		});
	}

	@Test
	void deleteRegistrationRemovesOnlyThatRegistrationInBothTiers() {
		this.cache.put(TokenKey.system("a", CLIENT, List.of(), null), token("1"));
		this.cache.put(TokenKey.user("a", CLIENT, "s1", List.of(), null), token("2"));
		this.cache.put(TokenKey.user("b", CLIENT, "s1", List.of(), null), token("3"));
		assertThat(this.cache.deleteRegistration("a")).isEqualTo(2);
		assertThat(this.cache.entries()).extracting(TokenCacheEntry::registrationId).containsExactly("b");
		assertThat(this.evictions).isEmpty();
	}

	private static CachedToken token(String value) {
		return new CachedToken(value, "Bearer", Set.of(), NOW, NOW.plus(Duration.ofMinutes(5)));
	}

}
