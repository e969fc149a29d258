package dev.dexpace.tokencache.redis;

import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

/**
 * Application contexts with {@code dexpace.token-cache.type=redis} on Spring Boot's real
 * Redis auto-configuration, each one standing for an instance of a fleet.
 */
final class RedisContexts {

	private RedisContexts() {
	}

	/**
	 * A context runner on a standalone Redis.
	 * @param idp the identity provider
	 * @param port the Redis port
	 * @return the runner
	 */
	static ApplicationContextRunner runner(TestIdentityProvider idp, int port) {
		return TokenCacheContexts.runner(idp)
			.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
			.withPropertyValues(properties(port));
	}

	/**
	 * A context runner of a façade on a standalone Redis: a non-reactive application with
	 * the blocking Redis cache, or a reactive web application with the reactive one.
	 * @param facade the façade
	 * @param idp the identity provider
	 * @param port the Redis port
	 * @return the runner
	 */
	static Facade.Runner runner(Facade facade, TestIdentityProvider idp, int port) {
		return facade.runner(idp)
			.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
			.withPropertyValues(properties(port));
	}

	private static String[] properties(int port) {
		return new String[] { "dexpace.token-cache.type=redis", "spring.data.redis.host=127.0.0.1",
				"spring.data.redis.port=" + port,
				// On 2 busy cores a healthy Redis can take longer than the 200 ms
				// default; tests of timeouts and outages set their own.
				"dexpace.token-cache.redis.timeout=5s" };
	}

	/**
	 * Call the API through the {@code api} client_credentials registration.
	 * @param client a RestClient from the context's builder
	 * @param idp the identity provider
	 */
	static void callApi(RestClient client, TestIdentityProvider idp) {
		client.get()
			.uri(idp.apiUri())
			.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
			.retrieve()
			.toBodilessEntity();
	}

}
