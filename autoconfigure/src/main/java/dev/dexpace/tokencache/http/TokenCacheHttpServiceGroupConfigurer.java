package dev.dexpace.tokencache.http;

import java.util.List;
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
 * authorizes a client's requests ({@code A}: interceptors or filters).
 */
abstract class TokenCacheHttpServiceGroupConfigurer<B, A> implements HttpServiceGroupConfigurer<B>, Ordered {

	private final Log logger = LogFactory.getLog(getClass());

	private final A authorizer;

	TokenCacheHttpServiceGroupConfigurer(A authorizer) {
		this.authorizer = authorizer;
	}

	@Override
	public final void configureGroups(Groups<B> groups) {
		groups.forEachClient((group, builder) -> authorizers(builder, (chain) -> authorize(group, chain)));
		groups.forEachProxyFactory((group, factory) -> factory
			.httpRequestValuesProcessor(ClientRegistrationIdProcessor.DEFAULT_INSTANCE));
	}

	abstract void authorizers(B builder, Consumer<List<A>> change);

	abstract boolean isSpringSecurity(A element);

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
