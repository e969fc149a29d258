package dev.dexpace.tokencache.memory;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link InMemoryTokenCache} with tokens whose expiry is extreme.
 */
class InMemoryTokenCacheBadInputTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private final InMemoryTokenCache cache = new InMemoryTokenCache(4, 4, Duration.ofSeconds(30));

	private final TokenKey key = TokenKey.system("api", CLIENT, Set.of("read"), null);

	@Test
	void aTokenThatNeverExpiresIsCachedWithoutOverflowingTheClock() {
		// Instant.MAX is more nanoseconds away than a long holds.
		CachedToken token = new CachedToken("never-expires", "Bearer", Set.of(), null, Instant.MAX);
		this.cache.put(this.key, token);
		assertThat(this.cache.get(this.key)).isEqualTo(token);
	}

	@Test
	void aTokenThatHasAlreadyExpiredIsNotServed() {
		this.cache.put(this.key, new CachedToken("expired", "Bearer", Set.of(), null, Instant.EPOCH));
		assertThat(this.cache.get(this.key)).isNull();
		this.cache.put(this.key, new CachedToken("ancient", "Bearer", Set.of(), null, Instant.MIN));
		assertThat(this.cache.get(this.key)).isNull();
	}

}
