package dev.dexpace.tokencache.http;

import java.io.IOException;

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
 * retrying is on, send once more with a new token. Each client adapts only how a request
 * is sent and how its response is read; what a response means and what follows is decided
 * here. The {@code WebClient} filter sequences the same decisions in a {@code Mono}.
 */
final class BearerExchange {

	private static final Log logger = LogFactory.getLog(BearerExchange.class);

	static final Authentication ANONYMOUS = new AnonymousAuthenticationToken("anonymous", "anonymousUser",
			AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));

	private final OAuth2AuthorizedClientManager manager;

	private final boolean retryOnUnauthorized;

	BearerExchange(OAuth2AuthorizedClientManager manager, boolean retryOnUnauthorized) {
		this.manager = manager;
		this.retryOnUnauthorized = retryOnUnauthorized;
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
		R response = call.send(sent);
		if (!(this.manager instanceof CachingOAuth2AuthorizedClientManager caching)
				|| !UnauthorizedResponses.tokenRejected(call.status(response), call.headers(response))) {
			return response;
		}
		String registrationId = authorizeRequest.getClientRegistrationId();
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
		return call.send(renewed.getAccessToken());
	}

	/**
	 * How one kind of client sends a request and reads its response.
	 *
	 * @param <R> the response type
	 */
	interface Call<R> {

		/**
		 * Send the request.
		 * @param token the token to send as {@code Authorization: Bearer …}, or
		 * {@code null} to send the request as it is
		 * @return the response
		 * @throws IOException when sending fails
		 */
		R send(@Nullable OAuth2AccessToken token) throws IOException;

		HttpStatusCode status(R response) throws IOException;

		HttpHeaders headers(R response);

		/**
		 * Release a response that is not handed to the caller.
		 * @param response the response
		 */
		void discard(R response);

	}

}
