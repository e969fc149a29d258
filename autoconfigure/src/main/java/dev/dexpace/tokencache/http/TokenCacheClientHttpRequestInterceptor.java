package dev.dexpace.tokencache.http;

import java.io.IOException;
import java.net.URI;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor.ClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor.PrincipalResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.client.web.client.SecurityContextHolderPrincipalResolver;

/**
 * A {@link ClientHttpRequestInterceptor} that sends {@code Authorization: Bearer …} on
 * requests that name a client registration with Spring Security's
 * {@link RequestAttributeClientRegistrationIdResolver#clientRegistrationId(String)}
 * attribute (which {@code @ClientRegistrationId} on an HTTP service interface sets), or on
 * every request when the interceptor is {@link #withRegistration(String) bound to a
 * registration}, as a {@code RestTemplate} needs: it has no request attributes. Requests
 * that name none are sent untouched, so a token never reaches a host it was not meant
 * for. When the API answers 401 ({@code invalid_token} or a bare 401) the sent token is
 * deleted from the cache, only while the cache still holds it, and the request is retried
 * once with a new token if retrying is on. The retry sends the same bytes: Spring
 * Framework buffers the body of every request that passes through an interceptor,
 * streaming bodies ({@code StreamingHttpOutputMessage.Body},
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

	private final OAuth2AuthorizedClientManager manager;

	private final boolean retryOnUnauthorized;

	private final DPoPRegistrations dpop;

	private final BearerExchange exchange;

	private final @Nullable String boundRegistrationId;

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
		this(manager, retryOnUnauthorized, DPoPRegistrations.none());
	}

	/**
	 * Create an interceptor that sends DPoP tokens with a proof for each request.
	 * @param manager the manager that authorizes requests
	 * @param retryOnUnauthorized whether to retry a rejected request once with a new token
	 * @param dpop which registrations use DPoP, with which key
	 */
	public TokenCacheClientHttpRequestInterceptor(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized,
			DPoPRegistrations dpop) {
		this(manager, retryOnUnauthorized, dpop, null);
	}

	private TokenCacheClientHttpRequestInterceptor(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized,
			DPoPRegistrations dpop, @Nullable String boundRegistrationId) {
		this.manager = manager;
		this.retryOnUnauthorized = retryOnUnauthorized;
		this.dpop = dpop;
		this.exchange = new BearerExchange(manager, retryOnUnauthorized, dpop);
		this.boundRegistrationId = boundRegistrationId;
	}

	/**
	 * Return an interceptor that authorizes every request with the given client
	 * registration unless the request names another with the registration attribute. This
	 * is how a {@code RestTemplate}, which has no request attributes, gets tokens:
	 * {@code restTemplateBuilder.additionalInterceptors(interceptor.withRegistration("orders"))}.
	 * @param registrationId the client registration id
	 * @return an interceptor bound to the registration, with the same manager and retry
	 * setting
	 */
	public TokenCacheClientHttpRequestInterceptor withRegistration(String registrationId) {
		if (registrationId.isBlank()) {
			throw new IllegalArgumentException("registrationId must not be blank");
		}
		return new TokenCacheClientHttpRequestInterceptor(this.manager, this.retryOnUnauthorized, this.dpop,
				registrationId);
	}

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
			throws IOException {
		String registrationId = this.registrationIdResolver.resolve(request);
		if (registrationId == null) {
			registrationId = this.boundRegistrationId;
		}
		if (registrationId == null) {
			if (logger.isTraceEnabled()) {
				logger.trace("Request names no client registration; sent without a token (a RestTemplate needs "
						+ "an interceptor bound with withRegistration(id))");
			}
			return execution.execute(request, body);
		}
		OAuth2AuthorizeRequest authorizeRequest = OAuth2AuthorizeRequest.withClientRegistrationId(registrationId)
			.principal(principal(request))
			.build();
		return this.exchange.exchange(authorizeRequest, new BearerExchange.Call<>() {

			@Override
			public ClientHttpResponse send(@Nullable HttpHeaders authorization) throws IOException {
				if (authorization != null) {
					request.getHeaders().putAll(authorization);
				}
				return execution.execute(request, body);
			}

			@Override
			public String method() {
				return request.getMethod().name();
			}

			@Override
			public URI uri() {
				return request.getURI();
			}

			@Override
			public HttpStatusCode status(ClientHttpResponse response) throws IOException {
				return response.getStatusCode();
			}

			@Override
			public HttpHeaders headers(ClientHttpResponse response) {
				return response.getHeaders();
			}

			@Override
			public void discard(ClientHttpResponse response) {
				response.close();
			}

		});
	}

	private Authentication principal(HttpRequest request) {
		Authentication principal = this.attributePrincipalResolver.resolve(request);
		if (principal == null) {
			principal = this.contextPrincipalResolver.resolve(request);
		}
		return (principal != null) ? principal : BearerExchange.ANONYMOUS;
	}

}
