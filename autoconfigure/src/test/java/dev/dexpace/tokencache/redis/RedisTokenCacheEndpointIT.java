package dev.dexpace.tokencache.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.EntryDescriptor;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.TokenCacheDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code tokencache} endpoint on a Redis cache that holds 10,000 user tokens (sealed)
 * on a real {@code redis-server}: a read answers one bounded page and reads only that
 * page's values; removing one registration reads no value at all.
 */
class RedisTokenCacheEndpointIT {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final int USERS = 10_000;

	private final RedisProcess redis = RedisProcess.launch();

	private final RedisCaches caches = new RedisCaches(this.redis.port());

	private final RawRedis raw = new RawRedis(this.redis.port());

	private final AtomicLong manualUserInvalidations = new AtomicLong();

	private RedisTokenCache cache;

	private TokenCacheEndpoint endpoint;

	@BeforeEach
	void fill() {
		this.cache = this.caches.create((builder) -> builder.encryptionKey(new byte[32]).timeout(Duration.ofSeconds(5)));
		Instant expiresAt = Instant.now().plus(Duration.ofHours(1));
		for (int i = 0; i < USERS; i++) {
			TokenKey key = TokenKey.user("exchange", CLIENT, "subject-" + i, List.of("api.read"), null);
			this.cache.put(key, new CachedToken("user-token-" + i, "Bearer", Set.of("api.read"), null, expiresAt));
		}
		this.cache.put(TokenKey.system("api", CLIENT, List.of("api.read"), null),
				new CachedToken("system-token", "Bearer", Set.of("api.read"), null, expiresAt));
		TokenCacheListener listener = new TokenCacheListener() {
			@Override
			public void invalidated(TokenKind kind, InvalidationCause cause) {
				if (kind == TokenKind.USER && cause == InvalidationCause.MANUAL) {
					RedisTokenCacheEndpointIT.this.manualUserInvalidations.incrementAndGet();
				}
			}
		};
		this.endpoint = new TokenCacheEndpoint(this.cache, listener, Clock.systemUTC());
	}

	@AfterEach
	void close() throws Exception {
		this.raw.close();
		this.caches.close();
		this.redis.close();
	}

	@Test
	void aReadAnswersOneBoundedPageAndReadsOnlyItsValues() {
		this.raw.commands().configResetstat();
		TokenCacheDescriptor first = this.endpoint.tokenCache();

		assertThat(first.entries()).hasSize(TokenCacheEndpoint.DEFAULT_LIMIT);
		assertThat(first.truncated()).isTrue();
		assertThat(first.nextCursor()).isNotNull();
		assertThat(Fleet.commandStats(this.raw).get("get")).as("values read for one page")
			.isEqualTo(TokenCacheEndpoint.DEFAULT_LIMIT);
		assertThat(this.endpoint.tokenCache(5_000, null).entries()).hasSize(TokenCacheEndpoint.MAX_LIMIT);
	}

	@Test
	void pagesFollowedByTheirCursorListEveryEntryOnce() {
		Set<String> digests = new HashSet<>();
		String cursor = null;
		int pages = 0;
		do {
			TokenCacheDescriptor page = this.endpoint.tokenCache(TokenCacheEndpoint.MAX_LIMIT, cursor);
			assertThat(page.entries()).hasSizeLessThanOrEqualTo(TokenCacheEndpoint.MAX_LIMIT);
			page.entries().forEach((entry) -> assertThat(digests.add(entry.keyDigest())).isTrue());
			cursor = page.nextCursor();
			pages++;
		}
		while (cursor != null);

		assertThat(digests).hasSize(USERS + 1);
		assertThat(pages).isEqualTo(11);
	}

	@Test
	void removingOneRegistrationCountsItsKeysWithoutReadingAValue() {
		this.raw.commands().configResetstat();

		assertThat(this.endpoint.deleteRegistration("exchange").deleted()).isEqualTo(USERS);

		Map<String, Long> stats = Fleet.commandStats(this.raw);
		assertThat(stats).doesNotContainKeys("get", "mget", "getex");
		assertThat(this.manualUserInvalidations).hasValue(USERS);
		assertThat(this.endpoint.tokenCache().entries()).extracting(EntryDescriptor::registration)
			.containsExactly("api");
	}

}
