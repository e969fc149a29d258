package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The reactive Redis cache on a real {@code redis-server}, where it meets the blocking one
 * or is on its own: the same keys and values as the blocking cache (each reads what the
 * other wrote, plain, sealed and with a rotated key), {@code clear()} after concurrent
 * puts, and an outage that fails no call, is logged once and heals by itself. What both
 * caches do alike is in {@link RedisTokenCacheIT}.
 */
@ExtendWith(OutputCaptureExtension.class)
class ReactiveRedisTokenCacheIT {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final byte[] KEY = new byte[32];

	private final RedisProcess redis = RedisProcess.launch();

	private final RedisCaches caches = new RedisCaches(this.redis.port());

	private final TokenKey key = TokenKey.system("api", CLIENT, List.of("api.read"), null);

	@AfterEach
	void close() throws Exception {
		this.caches.close();
		this.redis.close();
	}

	@Test
	void blockingAndReactiveCachesReadWhatTheOtherWrote() {
		assertShared(UnaryOperator.identity(), UnaryOperator.identity());
	}

	@Test
	void blockingAndReactiveCachesReadWhatTheOtherSealed() {
		assertShared((builder) -> builder.encryptionKey(KEY), (builder) -> builder.encryptionKey(KEY));
	}

	private void assertShared(UnaryOperator<RedisTokenCache.Builder> blockingSettings,
			UnaryOperator<ReactiveRedisTokenCache.Builder> reactiveSettings) {
		RedisTokenCache blocking = this.caches.create(blockingSettings);
		ReactiveRedisTokenCache reactive = reactive(reactiveSettings);
		assertThat(reactive.redisKey(this.key)).isEqualTo(blocking.redisKey(this.key));
		CachedToken first = token("first");
		blocking.put(this.key, first);
		assertThat(reactive.get(this.key).block(WAIT)).isEqualTo(first);
		CachedToken second = token("second");
		reactive.put(this.key, second).block(WAIT);
		assertThat(blocking.get(this.key)).isEqualTo(second);
		// A 401 for the first token seen by the reactive instance leaves the second in place.
		reactive.delete(this.key, first).block(WAIT);
		assertThat(blocking.get(this.key)).isEqualTo(second);
		reactive.delete(this.key, second).block(WAIT);
		assertThat(blocking.get(this.key)).isNull();
		assertThat(reactive.corruptValues()).isZero();
		assertThat(blocking.corruptValues()).isZero();
	}

	@Test
	void clearRemovesOnlyKeysUnderThePrefix() {
		// 1,200 puts at once on 2 busy cores: the default 200 ms timeout would fail some
		// (fail-soft, so silently) and the count would be off.
		ReactiveRedisTokenCache cache = reactive((builder) -> builder.timeout(Duration.ofSeconds(20)));
		try (RawRedis raw = new RawRedis(this.redis.port())) {
			raw.set("someone-else:key", new byte[] { 1 });
			Flux.range(0, 1200)
				.flatMap((i) -> cache.put(TokenKey.system("api-" + i, CLIENT, List.of(), null), token("t" + i)))
				.blockLast(Duration.ofSeconds(30));
			assertThat(raw.keys()).hasSize(1201);
			cache.clear().block(Duration.ofSeconds(30));
			assertThat(raw.keys()).containsExactly("someone-else:key");
		}
	}

	@Test
	void aValueSealedWithAPreviousKeyIsReadAndOneSealedWithAnUnknownKeyIsLeftAlone() {
		byte[] newKey = new byte[32];
		java.util.Arrays.fill(newKey, (byte) 2);
		byte[] unknownKey = new byte[32];
		java.util.Arrays.fill(unknownKey, (byte) 3);
		RedisTokenCache old = this.caches.create((builder) -> builder.encryptionKey(KEY));
		RedisTokenCache other = this.caches.create((builder) -> builder.encryptionKey(unknownKey));
		ReactiveRedisTokenCache rotated = reactive(
				(builder) -> builder.encryptionKey(newKey).previousEncryptionKeys(List.of(KEY)));
		TokenKey otherKey = TokenKey.system("other", CLIENT, List.of(), null);
		CachedToken first = token("first");
		old.put(this.key, first);
		other.put(otherKey, token("other"));
		assertThat(rotated.get(this.key).block(WAIT)).isEqualTo(first);
		assertThat(rotated.get(otherKey).block(WAIT)).isNull();
		try (RawRedis raw = new RawRedis(this.redis.port())) {
			assertThat(raw.get(rotated.redisKey(otherKey))).isNotNull();
		}
		assertThat(rotated.corruptValues()).isZero();
		assertThat(rotated.unreadableValues()).isOne();
		// What the rotated instance writes, the old one cannot read, and leaves alone.
		CachedToken second = token("second");
		rotated.put(this.key, second).block(WAIT);
		assertThat(old.get(this.key)).isNull();
		assertThat(old.corruptValues()).isZero();
		assertThat(rotated.get(this.key).block(WAIT)).isEqualTo(second);
	}

	@Test
	void anOutageFailsNoCallIsLoggedOnceAndHealsByItself(CapturedOutput output) {
		ReactiveRedisTokenCache cache = reactive((builder) -> builder.timeout(Duration.ofMillis(200))
			.failureThreshold(3)
			.openDuration(Duration.ofMillis(300)));
		CachedToken token = token("before");
		cache.put(this.key, token).block(WAIT);
		this.redis.kill();
		for (int i = 0; i < 20; i++) {
			// Every operation completes (empty) instead of failing or hanging.
			assertThat(cache.get(this.key).block(WAIT)).isNull();
			cache.put(this.key, token).block(WAIT);
			cache.delete(this.key, token).block(WAIT);
		}
		assertThat(cache.failures()).isPositive();
		assertThat(cache.skipped()).as("operations skipped while the circuit was open").isPositive();
		this.redis.start();
		await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
			cache.put(this.key, token).block(WAIT);
			assertThat(cache.get(this.key).block(WAIT)).isEqualTo(token);
			assertThat(cache.isCircuitOpen()).isFalse();
		});
		assertThat(count(output.getAll(), "Redis token cache \\w+ failed \\(")).as("outage log lines").isOne();
		assertThat(count(output.getAll(), "Redis token cache recovered")).as("recovery log lines").isOne();
	}

	private ReactiveRedisTokenCache reactive(UnaryOperator<ReactiveRedisTokenCache.Builder> settings) {
		return this.caches.createReactive(settings);
	}

	private static CachedToken token(String value) {
		// The value encoding keeps milliseconds.
		Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
		return new CachedToken(value, "Bearer", Set.of("api.read"), now, now.plusSeconds(600));
	}

	private static int count(String text, String regex) {
		Matcher matcher = Pattern.compile(regex).matcher(text);
		int count = 0;
		while (matcher.find()) {
			count++;
		}
		return count;
	}

}
