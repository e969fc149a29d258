package dev.dexpace.tokencache.http;

import java.io.IOException;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor.ClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor.PrincipalResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.client.web.client.SecurityContextHolderPrincipalResolver;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * A {@link ClientHttpRequestInterceptor} that sends {@code Authorization: Bearer …} on
 * requests that name a client registration with Spring Security's
 * {@link RequestAttributeClientRegistrationIdResolver#clientRegistrationId(String)}
 * attribute; requests that name none are sent untouched, so a token never reaches a host
 * it was not meant for. When the API answers 401 ({@code invalid_token} or a bare 401)
 * the sent token is deleted from the cache, only while the cache still holds it, and the
 * request is retried once with a new token if retrying is on. The retry sends the same
 * bytes: Spring Framework buffers the body of every request that passes through an
 * interceptor, streaming bodies ({@code StreamingHttpOutputMessage.Body},
 * {@code InputStreamResource}) included, so the body handed to
 * {@link #intercept(HttpRequest, byte[], ClientHttpRequestExecution)} is complete and can be
 * sent again.
 * <p>
 * The principal comes from Spring Security's
 * {@link RequestAttributePrincipalResolver#principal(String) principal attribute}, then
 * the {@code SecurityContextHolder}, then an anonymous principal.
 *
 * @since 0.1.0
 */
public final class TokenCacheClientHttpRequestInterceptor implements ClientHttpRequestInterceptor {

	private static final Log logger = LogFactory.getLog(TokenCacheClientHttpRequestInterceptor.class);

	private static final Authentication ANONYMOUS = new AnonymousAuthenticationToken("anonymous", "anonymousUser",
			AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));

	private final OAuth2AuthorizedClientManager manager;

	private final boolean retryOnUnauthorized;

	private final ClientRegistrationIdResolver registrationIdResolver = new RequestAttributeClientRegistrationIdResolver();

	private final PrincipalResolver attributePrincipalResolver = new RequestAttributePrincipalResolver();

	private final PrincipalResolver contextPrincipalResolver = new SecurityContextHolderPrincipalResolver();

	/**
	 * Create an interceptor.
	 * @param manager the manager that authorizes requests; with a
	 * {@link CachingOAuth2AuthorizedClientManager} a rejected token is deleted and
	 * replaced, with any other manager the 401 is returned as it is
	 * @param retryOnUnauthorized whether to retry a rejected request once with a new token
	 */
	public TokenCacheClientHttpRequestInterceptor(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized) {
		this.manager = manager;
		this.retryOnUnauthorized = retryOnUnauthorized;
	}

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
			throws IOException {
		String registrationId = this.registrationIdResolver.resolve(request);
		if (registrationId == null) {
			return execution.execute(request, body);
		}
		OAuth2AuthorizeRequest authorizeRequest = OAuth2AuthorizeRequest.withClientRegistrationId(registrationId)
			.principal(principal(request))
			.build();
		OAuth2AuthorizedClient client = this.manager.authorize(authorizeRequest);
		if (client == null) {
			return execution.execute(request, body);
		}
		OAuth2AccessToken sent = client.getAccessToken();
		request.getHeaders().setBearerAuth(sent.getTokenValue());
		ClientHttpResponse response = execution.execute(request, body);
		if (!(this.manager instanceof CachingOAuth2AuthorizedClientManager caching)
				|| !UnauthorizedResponses.tokenRejected(response.getStatusCode(), response.getHeaders())) {
			return response;
		}
		if (!this.retryOnUnauthorized) {
			caching.invalidate(authorizeRequest, sent);
			return response;
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Token for registration '" + registrationId + "' rejected with 401; retrying once");
		}
		OAuth2AuthorizedClient renewed;
		try {
			renewed = caching.reauthorize(authorizeRequest, sent);
		}
		catch (RuntimeException ex) {
			response.close();
			throw ex;
		}
		if (renewed == null) {
			return response;
		}
		response.close();
		request.getHeaders().setBearerAuth(renewed.getAccessToken().getTokenValue());
		return execution.execute(request, body);
	}

	private Authentication principal(HttpRequest request) {
		Authentication principal = this.attributePrincipalResolver.resolve(request);
		if (principal == null) {
			principal = this.contextPrincipalResolver.resolve(request);
		}
		return (principal != null) ? principal : ANONYMOUS;
	}

}
