package dev.dexpace.tokencache.http;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.springframework.core.Ordered;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.web.client.ClientRegistrationIdProcessor;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.client.web.client.support.OAuth2RestClientHttpServiceGroupConfigurer;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientHttpServiceGroupConfigurer;

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
 * <p>
 * An excluded group is left as it would be without the token cache: this configurer
 * registers no processor there, leaves Spring Security's interceptor on, and takes off
 * the {@link TokenCacheClientHttpRequestInterceptor} that Spring Boot's
 * {@code RestClientCustomizer} support gave the group's client.
 *
 * @since 0.1.0
 */
public final class TokenCacheRestClientHttpServiceGroupConfigurer
		extends TokenCacheHttpServiceGroupConfigurer<RestClient.Builder, ClientHttpRequestInterceptor>
		implements RestClientHttpServiceGroupConfigurer {

	/**
	 * Create a configurer.
	 * @param interceptor the interceptor every group's client gets
	 */
	public TokenCacheRestClientHttpServiceGroupConfigurer(TokenCacheClientHttpRequestInterceptor interceptor) {
		this(interceptor, Set.of());
	}

	/**
	 * Create a configurer that leaves some groups alone.
	 * @param interceptor the interceptor every other group's client gets
	 * @param excludedGroups names of the groups left as they would be without the token
	 * cache
	 * @since 0.1.0
	 */
	public TokenCacheRestClientHttpServiceGroupConfigurer(TokenCacheClientHttpRequestInterceptor interceptor,
			Collection<String> excludedGroups) {
		super(interceptor, excludedGroups);
	}

	@Override
	void authorizers(RestClient.Builder builder, Consumer<List<ClientHttpRequestInterceptor>> change) {
		builder.requestInterceptors(change);
	}

	@Override
	boolean isSpringSecurity(ClientHttpRequestInterceptor interceptor) {
		return interceptor instanceof OAuth2ClientHttpRequestInterceptor;
	}

}
