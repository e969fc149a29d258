package dev.dexpace.tokencache.oauth2;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * One request for a cached token, as both caching managers thread it from a miss to the
 * delegate: the key, the registration, the caller's authorize request and the token the
 * resource server rejected, if any. Hits on a cached token do not build one.
 *
 * @param key the cache key
 * @param registration the client registration
 * @param authorizeRequest the caller's authorize request
 * @param rejected the token the resource server rejected, or {@code null}
 */
record TokenRequest(TokenKey key, ClientRegistration registration, OAuth2AuthorizeRequest authorizeRequest,
		@Nullable OAuth2AccessToken rejected) {

	Authentication principal() {
		return this.authorizeRequest.getPrincipal();
	}

	/**
	 * Return whether a cached token may answer this request: any token but the rejected
	 * one.
	 * @param token the cached token, or {@code null}
	 * @return whether it is there and not rejected
	 */
	boolean accepts(@Nullable CachedToken token) {
		return token != null && (this.rejected == null || !token.tokenValue().equals(this.rejected.getTokenValue()));
	}

	@Override
	public String toString() {
		// The rejected token is a secret.
		return "TokenRequest[" + this.key + "]";
	}

}
