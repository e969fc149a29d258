package dev.dexpace.tokencache.http;

import java.util.Map;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.ClientAttributes;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;

/**
 * The {@code WebClient} twin of {@link TokenCacheClientHttpRequestInterceptor}: an
 * {@link ExchangeFilterFunction} that sends {@code Authorization: Bearer …} on requests
 * that name a client registration with Spring Security's attribute
 * ({@link ServerOAuth2AuthorizedClientExchangeFilterFunction#clientRegistrationId(String)}
 * or its servlet twin, which set the same attribute); requests that name none are sent
 * untouched, so a token never reaches a host it was not meant for. When the API answers
 * 401 ({@code invalid_token} or a bare 401) the sent token is deleted from the cache, only
 * while the cache still holds it, and the request is retried once with a new token if
 * retrying is on and its body can be sent again exactly: a request without a body, or
 * one whose body the first attempt wrote to its end within 256 KiB, which the retry
 * sends again byte for byte, with the same body headers (see {@link ReplayableBody}).
 * Any other request gets the 401. A 403 deletes nothing.
 * <p>
 * The principal comes from the servlet filter's
 * {@code ServletOAuth2AuthorizedClientExchangeFilterFunction.authentication(...)}
 * attribute, then the {@link ReactiveSecurityContextHolder}, then the
 * {@link SecurityContextHolder} of the subscribing thread (a servlet application that
 * blocks on the call), then an anonymous principal.
 *
 * @since 0.1.0
 */
public final class TokenCacheExchangeFilterFunction implements ExchangeFilterFunction {

	private static final Log logger = LogFactory.getLog(TokenCacheExchangeFilterFunction.class);

	/**
	 * The attribute {@code ServletOAuth2AuthorizedClientExchangeFilterFunction.authentication(...)}
	 * sets; named here so that this class needs no servlet API.
	 */
	private static final String AUTHENTICATION_ATTRIBUTE = Authentication.class.getName();

	private final ReactiveOAuth2AuthorizedClientManager manager;

	private final boolean retryOnUnauthorized;

	private final DPoPRegistrations dpop;

	/**
	 * Create a filter.
	 * @param manager the manager that authorizes requests; with a
	 * {@link CachingReactiveOAuth2AuthorizedClientManager} a rejected token is deleted and
	 * replaced, with any other manager the 401 is returned as it is
	 * @param retryOnUnauthorized whether to retry a rejected request once with a new token
	 */
	public TokenCacheExchangeFilterFunction(ReactiveOAuth2AuthorizedClientManager manager,
			boolean retryOnUnauthorized) {
		this(manager, retryOnUnauthorized, DPoPRegistrations.none());
	}

	/**
	 * Create a filter that sends DPoP tokens with a proof for each request.
	 * @param manager the manager that authorizes requests
	 * @param retryOnUnauthorized whether to retry a rejected request once with a new token
	 * @param dpop which registrations use DPoP, with which key
	 */
	public TokenCacheExchangeFilterFunction(ReactiveOAuth2AuthorizedClientManager manager,
			boolean retryOnUnauthorized, DPoPRegistrations dpop) {
		this.manager = manager;
		this.retryOnUnauthorized = retryOnUnauthorized;
		this.dpop = dpop;
	}

	@Override
	public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
		String registrationId = ClientAttributes.resolveClientRegistrationId(request.attributes());
		if (registrationId == null) {
			return next.exchange(request);
		}
		return principal(request).flatMap((principal) -> {
			OAuth2AuthorizeRequest authorizeRequest = OAuth2AuthorizeRequest.withClientRegistrationId(registrationId)
				.principal(principal)
				.build();
			return this.manager.authorize(authorizeRequest)
				.flatMap((client) -> exchange(request, next, authorizeRequest, client))
				.switchIfEmpty(Mono.defer(() -> next.exchange(request)));
		});
	}

	private Mono<ClientResponse> exchange(ClientRequest request, ExchangeFunction next,
			OAuth2AuthorizeRequest authorizeRequest, OAuth2AuthorizedClient client) {
		String registrationId = authorizeRequest.getClientRegistrationId();
		OAuth2AccessToken sent = client.getAccessToken();
		ClientRequest first = authorized(registrationId, request, sent);
		// A retry sends exactly what the first attempt sent: a request without a body as
		// it is, any other body only as the first attempt recorded it. A DPoP nonce
		// challenge is answered with a retry too.
		boolean mayRetry = (this.retryOnUnauthorized
				&& this.manager instanceof CachingReactiveOAuth2AuthorizedClientManager)
				|| this.dpop.thumbprint(registrationId) != null;
		ReplayableBody body = null;
		if (mayRetry && request.body() != BodyInserters.empty()) {
			body = new ReplayableBody(first.headers(), ReplayableBody.MAX_BYTES);
			first = ClientRequest.from(first).body(body.recording(request.body())).build();
		}
		ReplayableBody recorded = body;
		return next.exchange(first).flatMap((response) -> {
			if (this.dpop.nonceChallenged(registrationId, request.url(), response.statusCode(),
					response.headers().asHttpHeaders())) {
				BodyInserter<?, ? super ClientHttpRequest> again = (recorded != null) ? recorded.replay()
						: request.body();
				if (again == null) {
					return Mono.just(response);
				}
				return resend(request, next, registrationId, sent, again, response)
					.flatMap((retried) -> rejected(request, next, authorizeRequest, sent, retried, recorded, true));
			}
			return rejected(request, next, authorizeRequest, sent, response, recorded, false);
		});
	}

	/**
	 * What follows a response: a rejected token is deleted and, if retrying is on and the
	 * body can be sent again, replaced once; a nonce challenge to that retry is answered
	 * once more unless the call was already sent again for a nonce.
	 */
	private Mono<ClientResponse> rejected(ClientRequest request, ExchangeFunction next,
			OAuth2AuthorizeRequest authorizeRequest, OAuth2AccessToken sent, ClientResponse response,
			@Nullable ReplayableBody recorded, boolean nonceAnswered) {
		String registrationId = authorizeRequest.getClientRegistrationId();
		this.dpop.nonceReceived(registrationId, request.url(), response.headers().asHttpHeaders());
		if (!(this.manager instanceof CachingReactiveOAuth2AuthorizedClientManager caching)
				|| !UnauthorizedResponses.tokenRejected(response.statusCode(), response.headers().asHttpHeaders())) {
			return Mono.just(response);
		}
		if (!this.retryOnUnauthorized) {
			return caching.invalidate(authorizeRequest, sent).thenReturn(response);
		}
		BodyInserter<?, ? super ClientHttpRequest> again = (recorded != null) ? recorded.replay() : request.body();
		if (again == null) {
			if (logger.isDebugEnabled()) {
				logger.debug("Token for registration '" + registrationId
						+ "' rejected with 401; not retried: the request body cannot be sent again exactly");
			}
			return caching.invalidate(authorizeRequest, sent).thenReturn(response);
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Token for registration '" + registrationId + "' rejected with 401; retrying once");
		}
		return caching.reauthorize(authorizeRequest, sent)
			.onErrorResume((ex) -> response.releaseBody().then(Mono.error(ex)))
			.flatMap((renewed) -> {
				OAuth2AccessToken token = renewed.getAccessToken();
				return response.releaseBody()
					.then(next.exchange(ClientRequest.from(authorized(registrationId, request, token)).body(again).build()))
					// A nonce that changed while the token was replaced is answered here,
					// unless the call was already sent again for a nonce: at most one retry
					// of each kind.
					.flatMap((retried) -> (!nonceAnswered && this.dpop.nonceChallenged(registrationId, request.url(),
							retried.statusCode(), retried.headers().asHttpHeaders()))
									? resend(request, next, registrationId, token, again, retried) : Mono.just(retried))
					.doOnNext((last) -> this.dpop.nonceReceived(registrationId, request.url(),
							last.headers().asHttpHeaders()));
			})
			.switchIfEmpty(Mono.just(response));
	}

	/**
	 * Send a call once more with the same token and a proof that carries the nonce the
	 * resource server just asked for: the token was not rejected.
	 */
	private Mono<ClientResponse> resend(ClientRequest request, ExchangeFunction next, String registrationId,
			OAuth2AccessToken token, BodyInserter<?, ? super ClientHttpRequest> body, ClientResponse challenged) {
		if (logger.isDebugEnabled()) {
			logger.debug("Resource server asked registration '" + registrationId
					+ "' for a DPoP nonce; sending once more with it");
		}
		return challenged.releaseBody()
			.then(next.exchange(ClientRequest.from(authorized(registrationId, request, token)).body(body).build()));
	}

	/**
	 * The request with its token: {@code Authorization: Bearer …}, or for a DPoP token
	 * {@code Authorization: DPoP …} and a proof made for this request.
	 */
	private ClientRequest authorized(String registrationId, ClientRequest request, OAuth2AccessToken token) {
		return ClientRequest.from(request)
			.headers((headers) -> this.dpop.authorize(registrationId, request.method().name(), request.url(), token,
					headers))
			.build();
	}

	private static Mono<Authentication> principal(ClientRequest request) {
		Authentication fromAttribute = attribute(request.attributes());
		if (fromAttribute != null) {
			return Mono.just(fromAttribute);
		}
		return ReactiveSecurityContextHolder.getContext()
			.mapNotNull(SecurityContext::getAuthentication)
			.switchIfEmpty(Mono.fromSupplier(TokenCacheExchangeFilterFunction::threadPrincipal));
	}

	private static @Nullable Authentication attribute(Map<String, Object> attributes) {
		return (attributes.get(AUTHENTICATION_ATTRIBUTE) instanceof Authentication authentication) ? authentication
				: null;
	}

	private static Authentication threadPrincipal() {
		Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
		return (authentication != null) ? authentication : BearerExchange.ANONYMOUS;
	}

}
