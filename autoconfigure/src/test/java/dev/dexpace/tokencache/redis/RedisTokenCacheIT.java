package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.redis.RedisCaches.Cache;
import dev.dexpace.tokencache.redis.RedisCaches.Kind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RedisTokenCache} and {@link ReactiveRedisTokenCache} alike against a real
 * {@code redis-server}: what lands in Redis, the TTL, the conditional delete under a race,
 * corrupt and foreign values, encryption at rest and {@code clear()}. Deleting a
 * registration is the blocking cache's (the actuator endpoint's); what one kind reads of
 * the other's values, and the reactive cache's own outage and bulk cases, are in
 * {@link ReactiveRedisTokenCacheIT}.
 */
class RedisTokenCacheIT {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final byte[] ENCRYPTION_KEY = Base64.getDecoder()
		.decode("q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=");

	private static final Consumer<RedisCacheBuilder<?>> DEFAULTS = (builder) -> {
	};

	private static RedisProcess redis;

	private RawRedis raw;

	private RedisCaches caches;

	private final TokenKey key = TokenKey.system("api", CLIENT, List.of("api.read"), null);

	@BeforeAll
	static void startRedis() {
		redis = RedisProcess.launch();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@BeforeEach
	void connect() {
		this.raw = new RawRedis(redis.port());
		this.raw.commands().flushall();
		this.caches = new RedisCaches(redis.port());
	}

	@AfterEach
	void disconnect() throws Exception {
		this.caches.close();
		this.raw.close();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aTokenPutByOneInstanceIsReadByAnother(Kind kind) {
		Cache a = this.caches.create(kind, DEFAULTS);
		Cache b = this.caches.create(kind, DEFAULTS);
		CachedToken token = token("opaque-1", Duration.ofMinutes(10));
		a.put(this.key, token);
		CachedToken read = b.get(this.key);
		assertThat(read).isNotNull();
		assertThat(read.tokenValue()).isEqualTo("opaque-1");
		assertThat(read.tokenType()).isEqualTo("Bearer");
		assertThat(read.scopes()).containsExactlyInAnyOrder("api.read", "api.write");
		assertThat(read.issuedAt()).isEqualTo(token.issuedAt());
		assertThat(read.expiresAt()).isEqualTo(token.expiresAt());
		assertThat(this.raw.keys()).containsExactly(a.redisKey(this.key));
		assertThat(a.redisKey(this.key)).startsWith("dexpace:token-cache:system:api:");
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void theTtlIsTheRemainingLifetimeMinusTheBuffer(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.expiryBuffer(Duration.ofSeconds(30)));
		Instant before = Instant.now();
		CachedToken token = token("opaque-ttl", Duration.ofMinutes(10));
		cache.put(this.key, token);
		long pttl = this.raw.pttl(cache.redisKey(this.key));
		assertThat(pttl).isPositive()
			.isLessThanOrEqualTo(Duration.between(before, token.expiresAt()).minusSeconds(30).toMillis());
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aTokenWithNoLifetimeLeftAfterTheBufferIsNotWritten(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.expiryBuffer(Duration.ofSeconds(30)));
		cache.put(this.key, token("opaque-short", Duration.ofSeconds(20)));
		cache.put(TokenKey.system("other", CLIENT, List.of(), null), token("opaque-expired", Duration.ofSeconds(-5)));
		assertThat(this.raw.keys()).isEmpty();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aValueThatOutlivesTheBufferOnTheReadersClockIsAMiss(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.expiryBuffer(Duration.ofSeconds(30)));
		String redisKey = cache.redisKey(this.key);
		// Written by an instance whose clock runs behind: Redis would keep it for a minute.
		this.raw.set(redisKey, new TokenValueCodec(null).encode(redisKey, token("opaque-skew", Duration.ofSeconds(10))));
		assertThat(cache.get(this.key)).isNull();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aConditionalDeleteRemovesTheRejectedTokenForEveryInstance(Kind kind) {
		Cache a = this.caches.create(kind, DEFAULTS);
		Cache b = this.caches.create(kind, DEFAULTS);
		CachedToken token = token("opaque-rejected", Duration.ofMinutes(10));
		a.put(this.key, token);
		b.delete(this.key, rejected("opaque-rejected"));
		assertThat(a.get(this.key)).isNull();
		assertThat(this.raw.keys()).isEmpty();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aConditionalDeleteForAnOldTokenNeverRemovesANewerOne(Kind kind) {
		Cache a = this.caches.create(kind, DEFAULTS);
		Cache b = this.caches.create(kind, DEFAULTS);
		a.put(this.key, token("opaque-new", Duration.ofMinutes(10)));
		b.delete(this.key, rejected("opaque-old"));
		assertThat(a.get(this.key)).extracting(CachedToken::tokenValue).isEqualTo("opaque-new");
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aConditionalDeleteRacingAWriteOfANewerTokenNeverRemovesIt(Kind kind) throws Exception {
		Cache deleter = this.caches.create(kind, DEFAULTS);
		Cache writer = this.caches.create(kind, DEFAULTS);
		ExecutorService threads = Executors.newFixedThreadPool(2);
		try {
			for (int i = 0; i < 200; i++) {
				CachedToken old = token("opaque-old-" + i, Duration.ofMinutes(10));
				CachedToken fresh = token("opaque-new-" + i, Duration.ofMinutes(10));
				writer.put(this.key, old);
				CyclicBarrier start = new CyclicBarrier(2);
				CompletableFuture<Void> delete = CompletableFuture.runAsync(() -> {
					await(start);
					deleter.delete(this.key, old);
				}, threads);
				CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
					await(start);
					writer.put(this.key, fresh);
				}, threads);
				CompletableFuture.allOf(delete, write).get(10, TimeUnit.SECONDS);
				assertThat(deleter.get(this.key)).as("round %d", i)
					.extracting(CachedToken::tokenValue)
					.isEqualTo(fresh.tokenValue());
			}
		}
		finally {
			threads.shutdownNow();
		}
		assertThat(deleter.status().failures()).isZero();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void anUnconditionalDeleteRemovesTheKey(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		cache.put(this.key, token("opaque-1", Duration.ofMinutes(10)));
		cache.delete(this.key);
		cache.delete(this.key);
		assertThat(this.raw.keys()).isEmpty();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void foreignAndCorruptValuesAreMissesThatAreDeletedAndCounted(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		TokenKey foreign = TokenKey.system("foreign", CLIENT, List.of(), null);
		TokenKey truncated = TokenKey.system("truncated", CLIENT, List.of(), null);
		this.raw.set(cache.redisKey(foreign), "hello".getBytes(StandardCharsets.UTF_8));
		byte[] valid = new TokenValueCodec(null).encode(cache.redisKey(truncated),
				token("opaque-1", Duration.ofMinutes(10)));
		this.raw.set(cache.redisKey(truncated), java.util.Arrays.copyOf(valid, valid.length - 3));
		assertThat(cache.get(foreign)).isNull();
		assertThat(cache.get(truncated)).isNull();
		assertThat(cache.status().corruptValues()).isEqualTo(2);
		assertThat(this.raw.keys()).isEmpty();
		assertThat(cache.status().failures()).isZero();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aValueFromAFutureVersionIsAMissLeftToItsTtl(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		String redisKey = cache.redisKey(this.key);
		this.raw.set(redisKey, new byte[] { TokenValueCodec.MAGIC, TokenValueCodec.VERSION + 1, 0, 42, 42 });
		assertThat(cache.get(this.key)).isNull();
		assertThat(this.raw.exists(redisKey)).isTrue();
		assertThat(cache.status().corruptValues()).isZero();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aTamperedCiphertextIsAMissThatIsDeleted(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.encryptionKey(ENCRYPTION_KEY));
		cache.put(this.key, token("opaque-sealed", Duration.ofMinutes(10)));
		String redisKey = cache.redisKey(this.key);
		byte[] value = this.raw.get(redisKey);
		value[value.length - 20] ^= 1;
		this.raw.set(redisKey, value);
		assertThat(cache.get(this.key)).isNull();
		assertThat(cache.status().corruptValues()).isOne();
		assertThat(this.raw.exists(redisKey)).isFalse();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aSealedValueCopiedToAnotherKeyDoesNotOpen(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.encryptionKey(ENCRYPTION_KEY));
		TokenKey other = TokenKey.system("other", CLIENT, List.of("api.read"), null);
		cache.put(this.key, token("opaque-sealed", Duration.ofMinutes(10)));
		this.raw.set(cache.redisKey(other), this.raw.get(cache.redisKey(this.key)));
		assertThat(cache.get(other)).isNull();
		assertThat(cache.get(this.key)).extracting(CachedToken::tokenValue).isEqualTo("opaque-sealed");
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void withEncryptionOnAPlainValueIsNeverServedButLeftToItsTtl(Kind kind) {
		Cache plain = this.caches.create(kind, DEFAULTS);
		Cache sealed = this.caches.create(kind, (builder) -> builder.encryptionKey(ENCRYPTION_KEY));
		plain.put(this.key, token("opaque-injected", Duration.ofMinutes(10)));
		assertThat(sealed.get(this.key)).isNull();
		// It may be the value of an instance that has not turned encryption on yet.
		assertThat(this.raw.keys()).containsExactly(sealed.redisKey(this.key));
		assertThat(sealed.status().corruptValues()).isZero();
		assertThat(sealed.status().unreadableValues()).isOne();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void withEncryptionOnNoTokenValueAppearsInAnyRedisValue(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.encryptionKey(ENCRYPTION_KEY));
		List<String> tokens = List.of("opaque-secret-1", "opaque-secret-2", "opaque-secret-3");
		for (int i = 0; i < tokens.size(); i++) {
			cache.put(TokenKey.user("exchange", CLIENT, "subject-" + i, List.of("api.read"), null),
					token(tokens.get(i), Duration.ofMinutes(10)));
		}
		List<String> keys = this.raw.keys();
		assertThat(keys).hasSize(3).allSatisfy((key) -> assertThat(key).doesNotContain("subject-"));
		for (String key : keys) {
			String value = new String(this.raw.get(key), StandardCharsets.ISO_8859_1);
			tokens.forEach((token) -> assertThat(value).doesNotContain(token));
		}
		for (int i = 0; i < tokens.size(); i++) {
			assertThat(cache.get(TokenKey.user("exchange", CLIENT, "subject-" + i, List.of("api.read"), null)))
				.extracting(CachedToken::tokenValue)
				.isEqualTo(tokens.get(i));
		}
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void withEncryptionOffTheTokenIsStoredPlain(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		cache.put(this.key, token("opaque-visible", Duration.ofMinutes(10)));
		String value = new String(this.raw.get(cache.redisKey(this.key)), StandardCharsets.ISO_8859_1);
		assertThat(value).contains("opaque-visible");
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void clearRemovesEveryKeyUnderThePrefixAndNothingElse(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		Cache otherPrefix = this.caches.create(kind, (builder) -> builder.keyPrefix("other-app:"));
		for (int i = 0; i < 1_200; i++) {
			cache.put(TokenKey.system("api-" + i, CLIENT,
					List.of(), null), token("opaque-" + i, Duration.ofMinutes(10)));
		}
		otherPrefix.put(this.key, token("opaque-other", Duration.ofMinutes(10)));
		this.raw.set("unrelated", "value".getBytes(StandardCharsets.UTF_8));
		cache.clear();
		assertThat(this.raw.keys()).containsExactlyInAnyOrder("unrelated", otherPrefix.redisKey(this.key));
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aPrefixWithGlobCharactersMatchesOnlyItself(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.keyPrefix("app[1]*:"));
		cache.put(this.key, token("opaque-1", Duration.ofMinutes(10)));
		this.raw.set("app1x:unrelated", "value".getBytes(StandardCharsets.UTF_8));
		cache.clear();
		assertThat(this.raw.keys()).containsExactly("app1x:unrelated");
	}

	@Test
	void deletingARegistrationLeavesARegistrationWhoseIdStartsWithItsIdAndAColon() {
		RedisTokenCache cache = this.caches.create();
		TokenKey a = TokenKey.system("a", CLIENT, List.of(), null);
		TokenKey aUser = TokenKey.user("a", CLIENT, "subject", List.of(), null);
		TokenKey ab = TokenKey.system("a:b", CLIENT, List.of(), null);
		TokenKey abUser = TokenKey.user("a:b", CLIENT, "subject", List.of(), null);
		for (TokenKey key : List.of(a, aUser, ab, abUser)) {
			cache.put(key, token("opaque-" + key.registrationId(), Duration.ofMinutes(10)));
		}
		assertThat(cache.deleteRegistration("a")).isEqualTo(2);
		assertThat(this.raw.keys()).containsExactlyInAnyOrder(cache.redisKey(ab), cache.redisKey(abUser));
		assertThat(cache.entries()).extracting(TokenCacheEntry::registrationId).containsOnly("a:b");
	}

	@Test
	void deletingARegistrationWithGlobCharactersInItsIdRemovesOnlyItsOwnTokens() {
		RedisTokenCache cache = this.caches.create();
		List<String> registrations = List.of("a*", "a?", "[ab]", "a", "ab", "b", "a\\");
		for (String registration : registrations) {
			cache.put(TokenKey.system(registration, CLIENT, List.of(), null),
					token("opaque-" + registration, Duration.ofMinutes(10)));
		}
		for (String registration : List.of("a*", "a?", "[ab]", "a\\")) {
			assertThat(cache.deleteRegistration(registration)).as("tokens of %s deleted", registration).isOne();
		}
		assertThat(cache.entries()).extracting(TokenCacheEntry::registrationId).containsOnly("a", "ab", "b");
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void putGetAndDeleteRoundTrip(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		CachedToken token = token("one", Duration.ofMinutes(10));
		cache.put(this.key, token);
		assertThat(cache.get(this.key)).isEqualTo(token);
		cache.delete(this.key);
		assertThat(cache.get(this.key)).isNull();
		assertThat(cache.status().failures()).isZero();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aConditionalDeleteRemovesOnlyTheRejectedToken(Kind kind) {
		Cache cache = this.caches.create(kind, DEFAULTS);
		CachedToken current = token("current", Duration.ofMinutes(10));
		cache.put(this.key, current);
		cache.delete(this.key, token("older", Duration.ofMinutes(10)));
		assertThat(cache.get(this.key)).isEqualTo(current);
		cache.delete(this.key, current);
		assertThat(cache.get(this.key)).isNull();
	}

	@ParameterizedTest
	@EnumSource(Kind.class)
	void aCorruptSealedValueIsAMissAndIsDeleted(Kind kind) {
		Cache cache = this.caches.create(kind, (builder) -> builder.encryptionKey(ENCRYPTION_KEY));
		this.raw.set(cache.redisKey(this.key), "not a token".getBytes(StandardCharsets.UTF_8));
		assertThat(cache.get(this.key)).isNull();
		assertThat(cache.status().corruptValues()).isOne();
		assertThat(this.raw.get(cache.redisKey(this.key))).isNull();
	}

	private static CachedToken token(String value, Duration lifetime) {
		Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
		return new CachedToken(value, "Bearer", Set.of("api.read", "api.write"), now, now.plus(lifetime));
	}

	private static CachedToken rejected(String value) {
		return new CachedToken(value, "Bearer", Set.of(), null, Instant.EPOCH);
	}

	private static void await(CyclicBarrier barrier) {
		try {
			barrier.await(10, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
