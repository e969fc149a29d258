package dev.dexpace.tokencache.http;

import java.io.IOException;
import java.net.URI;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * The blocking sequence every blocking client shares ({@code RestClient},
 * {@code RestTemplate}, HTTP service clients on a {@code RestClient}, Feign): authorize
 * once, send with the token, and when the API rejects it (see
 * {@link UnauthorizedResponses}) delete it, only while the cache still holds it, and, if
 * retrying is on, send once more with a new token; for a DPoP registration, send a proof
 * with every attempt and answer a {@code use_dpop_nonce} challenge once, with the same
 * token. Each client adapts only how a request is sent and how its response is read; what a response means and what follows is decided
 * here. The {@code WebClient} filter sequences the same decisions in a {@code Mono}.
 */
final class BearerExchange {

	private static final Log logger = LogFactory.getLog(BearerExchange.class);

	static final Authentication ANONYMOUS = new AnonymousAuthenticationToken("anonymous", "anonymousUser",
			AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));

	private final OAuth2AuthorizedClientManager manager;

	private final boolean retryOnUnauthorized;

	private final DPoPRegistrations dpop;

	BearerExchange(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized, DPoPRegistrations dpop) {
		this.manager = manager;
		this.retryOnUnauthorized = retryOnUnauthorized;
		this.dpop = dpop;
	}

	/**
	 * Send a request for a client registration with its token, and once more with a new
	 * token when the first is rejected.
	 * @param <R> the response type
	 * @param authorizeRequest names the registration and the principal
	 * @param call sends the request and reads the response
	 * @return the response of the last attempt
	 * @throws IOException when sending fails
	 */
	<R> R exchange(OAuth2AuthorizeRequest authorizeRequest, Call<R> call) throws IOException {
		OAuth2AuthorizedClient client = this.manager.authorize(authorizeRequest);
		if (client == null) {
			return call.send(null);
		}
		OAuth2AccessToken sent = client.getAccessToken();
		String registrationId = authorizeRequest.getClientRegistrationId();
		R first = call.send(authorization(registrationId, call, sent));
		// DPoP: a resource server that wants its nonce in the proof gets the call once more,
		// same token, new proof; the token was not rejected.
		boolean nonceAnswered = nonceChallenged(registrationId, call, first);
		R response = nonceAnswered ? resend(registrationId, call, first, sent) : first;
		if (!(this.manager instanceof CachingOAuth2AuthorizedClientManager caching)
				|| !UnauthorizedResponses.tokenRejected(call.status(response), call.headers(response))) {
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
			call.discard(response);
			throw ex;
		}
		if (renewed == null) {
			return response;
		}
		call.discard(response);
		OAuth2AccessToken token = renewed.getAccessToken();
		R retried = call.send(authorization(registrationId, call, token));
		// A nonce that changed while the token was replaced is answered here, unless the
		// call was already sent again for a nonce: at most one retry of each kind.
		if (!nonceAnswered && nonceChallenged(registrationId, call, retried)) {
			return resend(registrationId, call, retried, token);
		}
		this.dpop.nonceReceived(registrationId, call.uri(), call.headers(retried));
		return retried;
	}

	private <R> boolean nonceChallenged(String registrationId, Call<R> call, R response) throws IOException {
		return this.dpop.nonceChallenged(registrationId, call.uri(), call.status(response), call.headers(response));
	}

	/**
	 * Send the call once more with the same token and a proof that carries the nonce the
	 * resource server just asked for.
	 */
	private <R> R resend(String registrationId, Call<R> call, R challenged, OAuth2AccessToken token)
			throws IOException {
		if (logger.isDebugEnabled()) {
			logger.debug("Resource server asked registration '" + registrationId + "' for a DPoP nonce; "
					+ "sending once more with it");
		}
		call.discard(challenged);
		R response = call.send(authorization(registrationId, call, token));
		this.dpop.nonceReceived(registrationId, call.uri(), call.headers(response));
		return response;
	}

	/**
	 * The headers that carry a token: {@code Authorization: Bearer …}, or for a DPoP
	 * token {@code Authorization: DPoP …} and a proof made for this request.
	 */
	private HttpHeaders authorization(String registrationId, Call<?> call, OAuth2AccessToken token) {
		HttpHeaders headers = new HttpHeaders();
		this.dpop.authorize(registrationId, call.method(), call.uri(), token, headers);
		return headers;
	}

	/**
	 * How one kind of client sends a request and reads its response.
	 *
	 * @param <R> the response type
	 */
	interface Call<R> {

		/**
		 * Send the request.
		 * @param authorization the headers that carry the token ({@code Authorization}
		 * and, for a DPoP token, {@code DPoP}), each to replace the request's header of
		 * that name, or {@code null} to send the request as it is
		 * @return the response
		 * @throws IOException when sending fails
		 */
		R send(@Nullable HttpHeaders authorization) throws IOException;

		/**
		 * Return the HTTP method of the request.
		 * @return the method
		 */
		String method();

		/**
		 * Return the URI of the request.
		 * @return the URI
		 */
		URI uri();

		HttpStatusCode status(R response) throws IOException;

		HttpHeaders headers(R response);

		/**
		 * Release a response that is not handed to the caller.
		 * @param response the response
		 */
		void discard(R response);

	}

}
