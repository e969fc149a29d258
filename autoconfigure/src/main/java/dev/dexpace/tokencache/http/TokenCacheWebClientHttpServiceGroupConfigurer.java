package dev.dexpace.tokencache.http;

import java.util.List;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.Ordered;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.web.client.ClientRegistrationIdProcessor;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.client.web.reactive.function.client.support.OAuth2WebClientHttpServiceGroupConfigurer;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.support.WebClientHttpServiceGroupConfigurer;
import org.springframework.web.service.registry.HttpServiceGroup;

/**
 * The {@code WebClient} twin of {@link TokenCacheRestClientHttpServiceGroupConfigurer}:
 * {@link ClientRegistrationId @ClientRegistrationId} on an HTTP service interface or
 * method works for every {@code WebClient} group, each group's client has the
 * {@link TokenCacheExchangeFilterFunction} exactly once, and the filters Spring Security's
 * {@link OAuth2WebClientHttpServiceGroupConfigurer} adds
 * ({@link ServerOAuth2AuthorizedClientExchangeFilterFunction},
 * {@code ServletOAuth2AuthorizedClientExchangeFilterFunction}) are taken off, so that a
 * call looks its token up once and gets the cache's 401 handling.
 *
 * @since 0.1.0
 */
public final class TokenCacheWebClientHttpServiceGroupConfigurer implements WebClientHttpServiceGroupConfigurer, Ordered {

	private static final Log logger = LogFactory.getLog(TokenCacheWebClientHttpServiceGroupConfigurer.class);

	private final TokenCacheExchangeFilterFunction filter;

	/**
	 * Create a configurer.
	 * @param filter the filter every group's client gets
	 */
	public TokenCacheWebClientHttpServiceGroupConfigurer(TokenCacheExchangeFilterFunction filter) {
		this.filter = filter;
	}

	@Override
	public void configureGroups(Groups<WebClient.Builder> groups) {
		groups.forEachClient(this::configureClient);
		groups.forEachProxyFactory((group, factory) -> factory
			.httpRequestValuesProcessor(ClientRegistrationIdProcessor.DEFAULT_INSTANCE));
	}

	private void configureClient(HttpServiceGroup group, WebClient.Builder builder) {
		builder.filters((filters) -> dedupe(group, filters));
	}

	private void dedupe(HttpServiceGroup group, List<ExchangeFilterFunction> filters) {
		boolean removed = filters.removeIf((filter) -> filter instanceof ServerOAuth2AuthorizedClientExchangeFilterFunction
				|| isServletFilter(filter));
		if (removed && logger.isDebugEnabled()) {
			logger.debug("HTTP service group '" + group.name() + "': Spring Security's OAuth2 exchange filter "
					+ "removed; the token cache filter authorizes its requests");
		}
		if (filters.stream().noneMatch(TokenCacheExchangeFilterFunction.class::isInstance)) {
			filters.add(this.filter);
		}
	}

	private static boolean isServletFilter(ExchangeFilterFunction filter) {
		// The servlet filter needs the servlet API; a reactive application may not have it.
		return filter.getClass()
			.getName()
			.equals("org.springframework.security.oauth2.client.web.reactive.function.client.ServletOAuth2AuthorizedClientExchangeFilterFunction");
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
