package dev.dexpace.tokencache.http;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.Ordered;
import org.springframework.security.oauth2.client.web.client.ClientRegistrationIdProcessor;
import org.springframework.web.service.registry.HttpServiceGroup;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer;

/**
 * What the {@code RestClient} and {@code WebClient} group configurers both decide (see
 * {@link TokenCacheRestClientHttpServiceGroupConfigurer}), over the chain of what
 * authorizes a client's requests ({@code A}: interceptors or filters): a served group
 * gets the token cache's authorizer instead of Spring Security's, an excluded group is
 * left as it would be without the starter.
 */
abstract class TokenCacheHttpServiceGroupConfigurer<B, A> implements HttpServiceGroupConfigurer<B>, Ordered {

	private final Log logger = LogFactory.getLog(getClass());

	private final A authorizer;

	private final Set<String> excludedGroups;

	TokenCacheHttpServiceGroupConfigurer(A authorizer, Collection<String> excludedGroups) {
		this.authorizer = authorizer;
		this.excludedGroups = Set.copyOf(excludedGroups);
	}

	@Override
	public final void configureGroups(Groups<B> groups) {
		groups.forEachClient((group, builder) -> authorizers(builder, (chain) -> {
			if (isExcluded(group)) {
				leave(group, chain);
			}
			else {
				authorize(group, chain);
			}
		}));
		// An excluded group has the processor only if the application's own configuration
		// (Spring Security's configurer) registers it.
		groups.filter((group) -> !isExcluded(group))
			.forEachProxyFactory((group, factory) -> factory
				.httpRequestValuesProcessor(ClientRegistrationIdProcessor.DEFAULT_INSTANCE));
	}

	private boolean isExcluded(HttpServiceGroup group) {
		return this.excludedGroups.contains(group.name());
	}

	abstract void authorizers(B builder, Consumer<List<A>> change);

	abstract boolean isSpringSecurity(A element);

	/**
	 * Take off the authorizer Spring Boot's customizer gave every group's client (it
	 * applies the starter's {@code RestClientCustomizer} and {@code WebClientCustomizer}
	 * to each group, before this configurer runs), and nothing else.
	 */
	private void leave(HttpServiceGroup group, List<A> chain) {
		boolean removed = chain.removeIf((element) -> element == this.authorizer);
		if (this.logger.isDebugEnabled()) {
			this.logger.debug("HTTP service group '" + group.name() + "': excluded from the token cache"
					+ (removed ? "; the token cache's authorization removed" : ""));
		}
	}

	private void authorize(HttpServiceGroup group, List<A> chain) {
		boolean removed = chain.removeIf(this::isSpringSecurity);
		if (removed && this.logger.isDebugEnabled()) {
			this.logger.debug("HTTP service group '" + group.name() + "': Spring Security's OAuth2 authorization "
					+ "removed; the token cache authorizes its requests");
		}
		if (chain.stream().noneMatch(this.authorizer.getClass()::isInstance)) {
			chain.add(this.authorizer);
		}
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
