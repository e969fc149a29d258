package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;

import dev.dexpace.tokencache.actuate.RedisTokenCacheHealthIndicator;
import dev.dexpace.tokencache.redis.RedisTokenCacheStatus;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The health of the Redis-backed token caches (blocking and reactive), as the {@code tokenCache} component of
 * {@code /actuator/health}; off with {@code management.health.tokencache.enabled=false}.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = { TokenCacheAutoConfiguration.class, ReactiveTokenCacheAutoConfiguration.class })
@ConditionalOnClass(name = { "org.springframework.boot.health.contributor.HealthIndicator",
		"org.springframework.data.redis.connection.RedisConnectionFactory" })
@ConditionalOnBean(RedisTokenCacheStatus.class)
public final class TokenCacheHealthAutoConfiguration {

	private static final Duration MIN_PING_WAIT = Duration.ofSeconds(1);

	// On the method, not the class: its condition is loaded only once the classes are known to be there.
	@Bean
	@ConditionalOnEnabledHealthIndicator("tokencache")
	@ConditionalOnMissingBean(name = "tokenCacheHealthIndicator")
	RedisTokenCacheHealthIndicator tokenCacheHealthIndicator(ObjectProvider<RedisTokenCacheStatus> caches,
			TokenCacheProperties properties) {
		Duration timeout = properties.getRedis().getTimeout();
		// A health check may wait longer than a cached call: one slow answer must not flap.
		// Blocking and reactive cache: a WebFlux application serves its calls from the latter.
		return new RedisTokenCacheHealthIndicator(RedisTokenCacheStatus.of(caches.orderedStream().toList()),
				(timeout.compareTo(MIN_PING_WAIT) < 0) ? MIN_PING_WAIT : timeout);
	}

}
