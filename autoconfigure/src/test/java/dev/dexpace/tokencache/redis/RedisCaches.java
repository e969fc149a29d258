package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Redis token caches on their own connection factories, as separate application
 * instances would have, closed together.
 */
final class RedisCaches implements AutoCloseable {

	private final int port;

	private final List<AutoCloseable> resources = new ArrayList<>();

	RedisCaches(int port) {
		this.port = port;
	}

	RedisTokenCache create() {
		return create(UnaryOperator.identity());
	}

	RedisTokenCache create(UnaryOperator<RedisTokenCache.Builder> customizer) {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration("127.0.0.1", this.port));
		factory.afterPropertiesSet();
		this.resources.add(factory::destroy);
		RedisTokenCache cache = customizer.apply(RedisTokenCache.builder(factory)).build();
		this.resources.add(cache);
		cache.warmUp(Duration.ofSeconds(5));
		return cache;
	}

	@Override
	public void close() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

}
