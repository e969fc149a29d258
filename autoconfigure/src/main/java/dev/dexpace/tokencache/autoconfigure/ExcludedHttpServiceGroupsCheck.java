package dev.dexpace.tokencache.autoconfigure;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.web.service.registry.HttpServiceProxyRegistry;

/**
 * Warns at start-up of names in {@code dexpace.token-cache.http-service.excluded-groups}
 * that are no HTTP service group of the application. A warning, not a failure: Spring
 * Boot ignores group names it does not know in {@code spring.http.serviceclient.*}, the
 * groups can differ between deployments that share a configuration (a profile's
 * {@code @ImportHttpServices}), and a misspelt name leaves its group served by the token
 * cache, which is the default. The check reads the registry, after the group configurers
 * ran: each configurer sees only the groups of its own client type.
 */
final class ExcludedHttpServiceGroupsCheck implements SmartInitializingSingleton {

	static final String PROPERTY = TokenCacheProperties.CONFIG_PREFIX + ".http-service.excluded-groups";

	private static final Log logger = LogFactory.getLog(TokenCacheAutoConfiguration.class);

	private final Collection<String> excludedGroups;

	private final ObjectProvider<HttpServiceProxyRegistry> registries;

	ExcludedHttpServiceGroupsCheck(Collection<String> excludedGroups,
			ObjectProvider<HttpServiceProxyRegistry> registries) {
		this.excludedGroups = excludedGroups;
		this.registries = registries;
	}

	@Override
	public void afterSingletonsInstantiated() {
		String warning = warning();
		if (warning != null && logger.isWarnEnabled()) {
			logger.warn(warning);
		}
	}

	/**
	 * Return the warning, or {@code null} when every excluded group exists.
	 * @return the warning
	 */
	@Nullable String warning() {
		if (this.excludedGroups.isEmpty()) {
			return null;
		}
		Set<String> unknown = new TreeSet<>(this.excludedGroups);
		this.registries.orderedStream().forEach((registry) -> unknown.removeAll(registry.getGroupNames()));
		if (unknown.isEmpty()) {
			return null;
		}
		return "Token cache: " + PROPERTY + " names " + ((unknown.size() == 1) ? "a group" : "groups")
				+ " the application does not have: " + String.join(", ", unknown)
				+ " (HTTP service groups are named by @ImportHttpServices(group = ...))";
	}

}
