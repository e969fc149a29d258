package dev.dexpace.tokencache.autoconfigure;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Fails start-up when {@code dexpace.token-cache.enabled} is neither {@code true} nor
 * {@code false}. The property is read by a condition, which takes any other value as
 * "false": a typo ({@code enabled=ture}) would turn the token cache off without a word,
 * and every call would fetch a token.
 */
class EnabledPropertyCheck implements EnvironmentPostProcessor, Ordered {

	private static final String PROPERTY = TokenCacheProperties.CONFIG_PREFIX + ".enabled";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		String value = environment.getProperty(PROPERTY);
		if (value != null && !"true".equalsIgnoreCase(value.strip()) && !"false".equalsIgnoreCase(value.strip())) {
			throw TokenCacheProperties.invalid("enabled", value, "must be true or false");
		}
	}

	@Override
	public int getOrder() {
		// After the application's own configuration files have been read.
		return Ordered.LOWEST_PRECEDENCE;
	}

}
