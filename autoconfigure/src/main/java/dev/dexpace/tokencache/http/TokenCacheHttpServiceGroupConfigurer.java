package dev.dexpace.tokencache.http;

import java.util.List;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.Ordered;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.web.client.ClientRegistrationIdProcessor;
import org.springframework.web.service.registry.HttpServiceGroup;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer;

/**
 * What both HTTP service group configurers decide, for {@code RestClient} and
 * {@code WebClient} groups alike: {@link ClientRegistrationId @ClientRegistrationId}
 * becomes the registration attribute (Spring Security's
 * {@link ClientRegistrationIdProcessor}), Spring Security's own authorization (its
 * interceptor or exchange filter) is taken off each group's client, and the token cache's
 * is on it exactly once, so that a call looks its token up once and gets the cache's 401
 * handling. It runs last ({@link Ordered#LOWEST_PRECEDENCE}, and after the application's
 * own configurers, which are registered first), so that it sees what the others added.
 *
 * @param <B> the client builder
 * @param <A> what authorizes the client's requests (an interceptor or a filter)
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

	/**
	 * Change the chain of a client's authorizers (interceptors or filters).
	 * @param builder the client builder
	 * @param change the change
	 */
	abstract void authorizers(B builder, Consumer<List<A>> change);

	/**
	 * Return whether an element of the chain is Spring Security's own authorization.
	 * @param element the element
	 * @return whether to take it off
	 */
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
