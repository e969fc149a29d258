package dev.dexpace.tokencache.oauth2;

import java.util.Map;

import reactor.core.publisher.Mono;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizationFailureHandler;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;

/**
 * The reactive twin of {@link TokenCacheAuthorizationFailureHandler}, for Spring
 * Security's own {@code ServerOAuth2AuthorizedClientExchangeFilterFunction} wired with a
 * {@link CachingReactiveOAuth2AuthorizedClientManager}: when the resource server answers
 * 401 ({@code invalid_token}) the cached token of that registration and principal is
 * deleted, so the next call fetches a new one. Spring Security does not tell the handler
 * which token was sent, so the delete is unconditional; it does not retry the call.
 *
 * <pre class="code">
 * ServerOAuth2AuthorizedClientExchangeFilterFunction filter = new ServerOAuth2AuthorizedClientExchangeFilterFunction(manager);
 * filter.setAuthorizationFailureHandler(reactiveTokenCacheAuthorizationFailureHandler);
 * </pre>
 *
 * @since 0.1.0
 */
public final class ReactiveTokenCacheAuthorizationFailureHandler implements ReactiveOAuth2AuthorizationFailureHandler {

	private final CachingReactiveOAuth2AuthorizedClientManager manager;

	/**
	 * Create a handler.
	 * @param manager the caching manager whose tokens are deleted
	 */
	public ReactiveTokenCacheAuthorizationFailureHandler(CachingReactiveOAuth2AuthorizedClientManager manager) {
		this.manager = manager;
	}

	@Override
	public Mono<Void> onAuthorizationFailure(OAuth2AuthorizationException authorizationException,
			Authentication principal, Map<String, Object> attributes) {
		if (authorizationException instanceof ClientAuthorizationException clientException
				&& OAuth2ErrorCodes.INVALID_TOKEN.equals(clientException.getError().getErrorCode())) {
			return this.manager.invalidate(clientException.getClientRegistrationId(), principal);
		}
		return Mono.empty();
	}

}
