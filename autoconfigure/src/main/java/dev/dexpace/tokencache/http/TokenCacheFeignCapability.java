package dev.dexpace.tokencache.http;

import java.io.IOException;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import feign.Capability;
import feign.Client;
import feign.Request;
import feign.RequestInterceptor;
import feign.Response;
import feign.Target;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.openfeign.security.OAuth2AccessTokenInterceptor;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.util.StringUtils;

/**
 * Gives Spring Cloud OpenFeign clients with {@code spring.cloud.openfeign.oauth2.enabled}
 * what the other clients have: the token from the cache, looked up once per call, and
 * after a 401 ({@code invalid_token} or a bare 401) the rejected token deleted and the
 * call sent once more with a new one. Spring Cloud's {@link OAuth2AccessTokenInterceptor}
 * can only set a header before the call, so this capability takes it off each client and
 * wraps the client's {@link Client} instead, which names the registration as that
 * interceptor does: {@code spring.cloud.openfeign.oauth2.client-registration-id}, or else
 * the host of the client's URL (its service id). A Feign body is a byte array, so the
 * retry sends exactly the same bytes. The principal is the one in the
 * {@code SecurityContextHolder}, or an anonymous one.
 * <p>
 * A registration that uses DPoP sends {@code Authorization: DPoP …} and a proof made for
 * each attempt, and a {@code 401} that asks for a DPoP nonce is sent once more with it,
 * deleting nothing: the same {@link BearerExchange} decides this for Feign as for
 * {@code RestClient}.
 * <p>
 * A call that already carries an {@code Authorization} header (set by the application's
 * own interceptor, a subclass of {@link OAuth2AccessTokenInterceptor} included, or by a
 * header parameter) is sent as it is.
 *
 * @since 0.1.0
 */
public final class TokenCacheFeignCapability implements Capability {

	private final BearerExchange exchange;

	private final @Nullable String clientRegistrationId;

	/**
	 * Create a capability.
	 * @param manager the manager that authorizes calls
	 * @param retryOnUnauthorized whether to retry a rejected call once with a new token
	 * @param clientRegistrationId the registration every client uses, or {@code null} for
	 * the host of each client's URL
	 */
	public TokenCacheFeignCapability(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized,
			@Nullable String clientRegistrationId) {
		this(manager, retryOnUnauthorized, clientRegistrationId, DPoPRegistrations.none());
	}

	/**
	 * Create a capability that sends DPoP tokens with a proof for each request.
	 * @param manager the manager that authorizes calls
	 * @param retryOnUnauthorized whether to retry a rejected call once with a new token
	 * @param clientRegistrationId the registration every client uses, or {@code null} for
	 * the host of each client's URL
	 * @param dpop which registrations use DPoP, with which key
	 */
	public TokenCacheFeignCapability(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized,
			@Nullable String clientRegistrationId, DPoPRegistrations dpop) {
		this.exchange = new BearerExchange(manager, retryOnUnauthorized, dpop);
		this.clientRegistrationId = StringUtils.hasText(clientRegistrationId) ? clientRegistrationId : null;
	}

	@Override
	public RequestInterceptor enrich(RequestInterceptor interceptor) {
		if (interceptor.getClass() == OAuth2AccessTokenInterceptor.class) {
			return (template) -> {
			};
		}
		return interceptor;
	}

	@Override
	public Client enrich(Client client) {
		return (request, options) -> execute(client, request, options);
	}

	private Response execute(Client client, Request request, Request.Options options) throws IOException {
		if (request.headers().keySet().stream().anyMatch(HttpHeaders.AUTHORIZATION::equalsIgnoreCase)) {
			return client.execute(request, options);
		}
		OAuth2AuthorizeRequest authorizeRequest = OAuth2AuthorizeRequest
			.withClientRegistrationId(registrationId(request))
			.principal(principal())
			.build();
		return this.exchange.exchange(authorizeRequest, new BearerExchange.Call<>() {

			@Override
			public Response send(@Nullable HttpHeaders authorization) throws IOException {
				return client.execute((authorization != null) ? authorized(request, authorization) : request, options);
			}

			@Override
			public String method() {
				return request.httpMethod().name();
			}

			@Override
			public URI uri() {
				return URI.create(request.url());
			}

			@Override
			public HttpStatusCode status(Response response) {
				return HttpStatusCode.valueOf(response.status());
			}

			@Override
			public HttpHeaders headers(Response response) {
				HttpHeaders headers = new HttpHeaders();
				response.headers().forEach((name, values) -> headers.addAll(name, List.copyOf(values)));
				return headers;
			}

			@Override
			public void discard(Response response) {
				response.close();
			}

		});
	}

	private String registrationId(Request request) {
		if (this.clientRegistrationId != null) {
			return this.clientRegistrationId;
		}
		Target<?> target = request.requestTemplate().feignTarget();
		String host = (target != null) ? URI.create(target.url()).getHost() : null;
		if (host == null) {
			throw new IllegalStateException("Feign client names no client registration: set "
					+ "spring.cloud.openfeign.oauth2.client-registration-id or give the client a URL whose host is one");
		}
		return host;
	}

	private static Authentication principal() {
		Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
		return (authentication != null && authentication.getName() != null) ? authentication
				: BearerExchange.ANONYMOUS;
	}

	private static Request authorized(Request request, HttpHeaders authorization) {
		Map<String, Collection<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
		headers.putAll(request.headers());
		authorization.forEach((name, values) -> headers.put(name, List.copyOf(values)));
		return Request.create(request.httpMethod(), request.url(), headers, request.body(), request.charset(),
				request.requestTemplate());
	}

}
