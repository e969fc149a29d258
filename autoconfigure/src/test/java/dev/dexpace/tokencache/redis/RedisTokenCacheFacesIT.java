package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The behaviour the blocking and the reactive Redis cache share, from one source run
 * against both on a real {@code redis-server}: what they report (listener and status),
 * corrupt values, and whose clock decides a token's remaining life when the clocks of
 * the fleet disagree.
 */
class RedisTokenCacheFacesIT {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final Duration AHEAD = Duration.ofMinutes(2);

	private static final Duration BUFFER = Duration.ofSeconds(30);

	private final RedisProcess redis = RedisProcess.launch();

	private final RawRedis raw = new RawRedis(this.redis.port());

	private final List<AutoCloseable> resources = new ArrayList<>();

	private final TokenKey key = TokenKey.system("api", CLIENT, List.of("api.read"), null);

	@AfterEach
	void close() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
		this.raw.close();
		this.redis.close();
	}

	@ParameterizedTest
	@EnumSource(Face.class)
	void aCorruptValueIsAMissThatIsDeletedCountedAndReported(Face face) {
		Cache cache = face.create(this, UnaryOperator.identity());
		Recorder recorder = new Recorder();
		cache.status().setListener(recorder);
		String redisKey = cache.status().redisKey(this.key);
		this.raw.set(redisKey, "not a token".getBytes(StandardCharsets.UTF_8));

		assertThat(cache.get(this.key)).isNull();
		assertThat(this.raw.get(redisKey)).as("the corrupt value is deleted").isNull();
		assertThat(cache.status().corruptValues()).isEqualTo(1);
		assertThat(recorder.corrupt).containsExactly(TokenKind.SYSTEM);
	}

	@ParameterizedTest
	@EnumSource(Face.class)
	void anOutageIsReportedToTheListenerAndInTheStatus(Face face) {
		Cache cache = face.create(this, (builder) -> builder.failureThreshold(1).timeout(Duration.ofSeconds(2)));
		Recorder recorder = new Recorder();
		cache.status().setListener(recorder);
		assertThat(cache.status().ping(Duration.ofSeconds(5))).isTrue();
		this.redis.kill();

		assertThat(cache.get(this.key)).as("a failed read is a miss").isNull();
		assertThat(cache.status().failures()).isEqualTo(1);
		assertThat(cache.status().isCircuitOpen()).isTrue();
		assertThat(recorder.errors).containsExactly("get");
		assertThat(cache.get(this.key)).isNull();
		assertThat(cache.status().skipped()).isEqualTo(1);
		assertThat(cache.status().ping(Duration.ofMillis(500))).isFalse();
	}

	@ParameterizedTest
	@EnumSource(Face.class)
	void anInstanceWhoseClockIsAheadKeepsAnotherInstancesShortToken(Face face) {
		Cache writer = Face.BLOCKING.create(this, UnaryOperator.identity());
		Clock ahead = Clock.offset(Clock.systemUTC(), AHEAD);
		Cache skewed = face.create(this, (builder) -> builder.clock(ahead));
		// 90 s left in real time: less than the skew plus the buffer.
		writer.put(this.key, token(Instant.now().plusSeconds(90)));

		CachedToken read = skewed.get(this.key);

		assertThat(read).as("Redis still holds it: it is not expired").isNotNull();
		assertThat(Duration.between(ahead.instant(), read.expiresAt()))
			.as("its expiry on the skewed clock, from Redis' PTTL")
			.isBetween(Duration.ofSeconds(80), Duration.ofSeconds(91));
	}

	@ParameterizedTest
	@EnumSource(Face.class)
	void anInstanceWhoseClockIsAheadKeepsNoTokenPastItsRealExpiry(Face face) {
		Clock ahead = Clock.offset(Clock.systemUTC(), AHEAD);
		Cache skewed = face.create(this, (builder) -> builder.clock(ahead));
		Cache reader = Face.BLOCKING.create(this, UnaryOperator.identity());
		// expires_in=90 resolved on the skewed clock: really 90 s from now.
		Instant stated = ahead.instant().plusSeconds(90);
		Instant realExpiry = stated.minus(AHEAD);
		skewed.put(this.key, token(stated));
		// An expiry stated by the identity provider in real time (a JWT exp): 2 min 20 s.
		TokenKey other = TokenKey.system("other", CLIENT, List.of(), null);
		skewed.put(other, token(Instant.now().plusSeconds(140)));

		long pttl = this.raw.pttl(skewed.status().redisKey(this.key));
		assertThat(Instant.now().plusMillis(pttl)).as("Redis drops it the buffer before its real expiry")
			.isBeforeOrEqualTo(realExpiry.minus(BUFFER).plusMillis(100));
		assertThat(reader.get(this.key)).isNotNull();
		assertThat(this.raw.get(skewed.status().redisKey(other)))
			.as("no life left on the skewed clock: never written, never late").isNull();
	}

	private static CachedToken token(Instant expiresAt) {
		return new CachedToken("token-" + expiresAt.toEpochMilli(), "Bearer", Set.of("api.read"), null, expiresAt);
	}

	LettuceConnectionFactory connectionFactory() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration("127.0.0.1", this.redis.port()));
		factory.afterPropertiesSet();
		this.resources.add(factory::destroy);
		return factory;
	}

	<C extends AutoCloseable> C track(C resource) {
		this.resources.add(resource);
		return resource;
	}

	/**
	 * The two caches, each behind the same blocking face.
	 */
	enum Face {

		BLOCKING {
			@Override
			Cache create(RedisTokenCacheFacesIT test, UnaryOperator<RedisCacheBuilder<?>> customizer) {
				RedisTokenCache.Builder builder = RedisTokenCache.builder(test.connectionFactory());
				customizer.apply(builder);
				RedisTokenCache cache = test.track(builder.build());
				cache.warmUp(Duration.ofSeconds(5));
				return new Cache() {
					@Override
					public @Nullable CachedToken get(TokenKey key) {
						return cache.get(key);
					}

					@Override
					public void put(TokenKey key, CachedToken token) {
						cache.put(key, token);
					}

					@Override
					public AbstractRedisTokenCache status() {
						return cache;
					}
				};
			}
		},

		REACTIVE {
			@Override
			Cache create(RedisTokenCacheFacesIT test, UnaryOperator<RedisCacheBuilder<?>> customizer) {
				ReactiveRedisTokenCache.Builder builder = ReactiveRedisTokenCache.builder(test.connectionFactory());
				customizer.apply(builder);
				ReactiveRedisTokenCache cache = test.track(builder.build());
				cache.warmUp(Duration.ofSeconds(5));
				return new Cache() {
					@Override
					public @Nullable CachedToken get(TokenKey key) {
						return cache.get(key).block(Duration.ofSeconds(10));
					}

					@Override
					public void put(TokenKey key, CachedToken token) {
						cache.put(key, token).block(Duration.ofSeconds(10));
					}

					@Override
					public AbstractRedisTokenCache status() {
						return cache;
					}
				};
			}
		};

		abstract Cache create(RedisTokenCacheFacesIT test, UnaryOperator<RedisCacheBuilder<?>> customizer);

	}

	interface Cache {

		@Nullable CachedToken get(TokenKey key);

		void put(TokenKey key, CachedToken token);

		AbstractRedisTokenCache status();

	}

	static final class Recorder implements TokenCacheListener {

		final List<TokenKind> corrupt = new java.util.concurrent.CopyOnWriteArrayList<>();

		final List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();

		@Override
		public void invalidated(TokenKind kind, InvalidationCause cause) {
			if (cause == InvalidationCause.CORRUPT) {
				this.corrupt.add(kind);
			}
		}

		@Override
		public void cacheError(String operation) {
			this.errors.add(operation);
		}

	}

}
