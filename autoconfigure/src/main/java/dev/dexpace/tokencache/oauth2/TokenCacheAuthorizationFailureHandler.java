package dev.dexpace.tokencache.oauth2;

import java.util.Map;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.OAuth2AuthorizationFailureHandler;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;

/**
 * An {@link OAuth2AuthorizationFailureHandler} for Spring Security's own
 * {@code OAuth2ClientHttpRequestInterceptor} (and the WebClient filters) wired with a
 * {@link CachingOAuth2AuthorizedClientManager}: when the resource server answers 401
 * ({@code invalid_token}) the cached token of that registration and principal is deleted,
 * so the next call fetches a new one. Spring Security does not tell the handler which token
 * was sent, so the delete is unconditional; it does not retry the call.
 *
 * <pre class="code">
 * OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
 * interceptor.setAuthorizationFailureHandler(tokenCacheAuthorizationFailureHandler);
 * </pre>
 *
 * @since 0.1.0
 */
public final class TokenCacheAuthorizationFailureHandler implements OAuth2AuthorizationFailureHandler {

	private final CachingOAuth2AuthorizedClientManager manager;

	/**
	 * Create a handler.
	 * @param manager the caching manager whose tokens are deleted
	 */
	public TokenCacheAuthorizationFailureHandler(CachingOAuth2AuthorizedClientManager manager) {
		this.manager = manager;
	}

	@Override
	public void onAuthorizationFailure(OAuth2AuthorizationException authorizationException, Authentication principal,
			Map<String, Object> attributes) {
		if (authorizationException instanceof ClientAuthorizationException clientException
				&& OAuth2ErrorCodes.INVALID_TOKEN.equals(clientException.getError().getErrorCode())) {
			this.manager.invalidate(clientException.getClientRegistrationId(), principal);
		}
	}

}
