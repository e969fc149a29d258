package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis token caches on their own connection factories, as separate application
 * instances would have, closed together.
 */
final class RedisCaches implements AutoCloseable {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private final int port;

	private final List<AutoCloseable> resources = new ArrayList<>();

	RedisCaches(int port) {
		this.port = port;
	}

	RedisTokenCache create() {
		return create(UnaryOperator.identity());
	}

	RedisTokenCache create(UnaryOperator<RedisTokenCache.Builder> customizer) {
		RedisTokenCache cache = customizer.apply(RedisTokenCache.builder(factory())).build();
		this.resources.add(cache);
		cache.warmUp(Duration.ofSeconds(5));
		return cache;
	}

	ReactiveRedisTokenCache createReactive(UnaryOperator<ReactiveRedisTokenCache.Builder> customizer) {
		LettuceConnectionFactory factory = factory();
		factory.start();
		ReactiveRedisTokenCache cache = customizer.apply(ReactiveRedisTokenCache.builder(factory)).build();
		this.resources.add(cache);
		assertThat(cache.warmUp(Duration.ofSeconds(5))).isTrue();
		return cache;
	}

	/**
	 * A cache of either kind, called as the blocking cache is: a reactive one is waited
	 * for.
	 * @param kind the kind
	 * @param settings the settings both builders share
	 * @return the cache
	 */
	Cache create(Kind kind, Consumer<RedisCacheBuilder<?>> settings) {
		return switch (kind) {
			case BLOCKING -> new BlockingCache(create((builder) -> {
				settings.accept(builder);
				return builder;
			}));
			case REACTIVE -> new ReactiveCache(createReactive((builder) -> {
				settings.accept(builder);
				return builder;
			}));
		};
	}

	private LettuceConnectionFactory factory() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration("127.0.0.1", this.port));
		factory.afterPropertiesSet();
		this.resources.add(factory::destroy);
		return factory;
	}

	@Override
	public void close() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	/**
	 * The two Redis caches: the blocking one of RestClient applications and the reactive
	 * one of WebFlux applications.
	 */
	enum Kind {

		BLOCKING, REACTIVE

	}

	/**
	 * What both Redis caches do, called and waited for alike.
	 */
	interface Cache {

		@Nullable CachedToken get(TokenKey key);

		void put(TokenKey key, CachedToken token);

		void delete(TokenKey key);

		void delete(TokenKey key, CachedToken rejected);

		void clear();

		String redisKey(TokenKey key);

		/**
		 * The status both caches report: failures and corrupt or unreadable values.
		 * @return the status
		 */
		RedisTokenCacheStatus status();

	}

	/**
	 * The keys and status of either cache.
	 */
	private abstract static class Adapter implements Cache {

		private final Function<TokenKey, String> keys;

		private final RedisTokenCacheStatus status;

		Adapter(Function<TokenKey, String> keys, RedisTokenCacheStatus status) {
			this.keys = keys;
			this.status = status;
		}

		@Override
		public String redisKey(TokenKey key) {
			return this.keys.apply(key);
		}

		@Override
		public RedisTokenCacheStatus status() {
			return this.status;
		}

	}

	private static final class BlockingCache extends Adapter {

		private final RedisTokenCache cache;

		BlockingCache(RedisTokenCache cache) {
			super(cache::redisKey, cache);
			this.cache = cache;
		}

		@Override
		public @Nullable CachedToken get(TokenKey key) {
			return this.cache.get(key);
		}

		@Override
		public void put(TokenKey key, CachedToken token) {
			this.cache.put(key, token);
		}

		@Override
		public void delete(TokenKey key) {
			this.cache.delete(key);
		}

		@Override
		public void delete(TokenKey key, CachedToken rejected) {
			this.cache.delete(key, rejected);
		}

		@Override
		public void clear() {
			this.cache.clear();
		}

	}

	private static final class ReactiveCache extends Adapter {

		private final ReactiveRedisTokenCache cache;

		ReactiveCache(ReactiveRedisTokenCache cache) {
			super(cache::redisKey, cache);
			this.cache = cache;
		}

		@Override
		public @Nullable CachedToken get(TokenKey key) {
			return this.cache.get(key).block(WAIT);
		}

		@Override
		public void put(TokenKey key, CachedToken token) {
			this.cache.put(key, token).block(WAIT);
		}

		@Override
		public void delete(TokenKey key) {
			this.cache.delete(key).block(WAIT);
		}

		@Override
		public void delete(TokenKey key, CachedToken rejected) {
			this.cache.delete(key, rejected).block(WAIT);
		}

		@Override
		public void clear() {
			this.cache.clear().block(WAIT);
		}

	}

}
