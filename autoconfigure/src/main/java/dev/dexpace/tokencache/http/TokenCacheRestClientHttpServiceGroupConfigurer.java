package dev.dexpace.tokencache.http;

import java.util.List;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.Ordered;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.web.client.ClientRegistrationIdProcessor;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.web.client.support.OAuth2RestClientHttpServiceGroupConfigurer;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientHttpServiceGroupConfigurer;
import org.springframework.web.service.registry.HttpServiceGroup;

/**
 * Makes {@link ClientRegistrationId @ClientRegistrationId} on an HTTP service interface or
 * method work for every {@code RestClient} group: it registers Spring Security's
 * {@link ClientRegistrationIdProcessor}, which turns the annotation into the registration
 * attribute, and makes sure each group's client has the
 * {@link TokenCacheClientHttpRequestInterceptor} exactly once. When the application also
 * declares Spring Security's {@link OAuth2RestClientHttpServiceGroupConfigurer}, its
 * {@link OAuth2ClientHttpRequestInterceptor} is taken off the groups this one serves, so
 * that a call looks its token up once and gets the cache's 401 handling. It runs last
 * ({@link Ordered#LOWEST_PRECEDENCE}, and after the application's own configurers, which
 * are registered first), so that it sees what the others added.
 *
 * @since 0.1.0
 */
public final class TokenCacheRestClientHttpServiceGroupConfigurer implements RestClientHttpServiceGroupConfigurer, Ordered {

	private static final Log logger = LogFactory.getLog(TokenCacheRestClientHttpServiceGroupConfigurer.class);

	private final TokenCacheClientHttpRequestInterceptor interceptor;

	/**
	 * Create a configurer.
	 * @param interceptor the interceptor every group's client gets
	 */
	public TokenCacheRestClientHttpServiceGroupConfigurer(TokenCacheClientHttpRequestInterceptor interceptor) {
		this.interceptor = interceptor;
	}

	@Override
	public void configureGroups(Groups<RestClient.Builder> groups) {
		groups.forEachClient(this::configureClient);
		groups.forEachProxyFactory((group, factory) -> factory
			.httpRequestValuesProcessor(ClientRegistrationIdProcessor.DEFAULT_INSTANCE));
	}

	private void configureClient(HttpServiceGroup group, RestClient.Builder builder) {
		builder.requestInterceptors((interceptors) -> dedupe(group, interceptors));
	}

	private void dedupe(HttpServiceGroup group, List<ClientHttpRequestInterceptor> interceptors) {
		boolean removed = interceptors.removeIf(OAuth2ClientHttpRequestInterceptor.class::isInstance);
		if (removed && logger.isDebugEnabled()) {
			logger.debug("HTTP service group '" + group.name() + "': Spring Security's "
					+ "OAuth2ClientHttpRequestInterceptor removed; the token cache interceptor authorizes its requests");
		}
		if (interceptors.stream().noneMatch(TokenCacheClientHttpRequestInterceptor.class::isInstance)) {
			interceptors.add(this.interceptor);
		}
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
