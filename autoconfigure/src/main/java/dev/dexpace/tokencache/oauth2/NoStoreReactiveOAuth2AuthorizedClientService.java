package dev.dexpace.tokencache.oauth2;

import reactor.core.publisher.Mono;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;

/**
 * A {@link ReactiveOAuth2AuthorizedClientService} that stores nothing, the reactive twin of
 * {@link NoStoreOAuth2AuthorizedClientService}: the delegate manager of
 * {@link CachingReactiveOAuth2AuthorizedClientManager} runs on it, so the token cache is
 * the only place a token lives.
 *
 * @since 0.1.0
 */
public final class NoStoreReactiveOAuth2AuthorizedClientService implements ReactiveOAuth2AuthorizedClientService {

	@Override
	public <T extends OAuth2AuthorizedClient> Mono<T> loadAuthorizedClient(String clientRegistrationId,
			String principalName) {
		return Mono.empty();
	}

	@Override
	public Mono<Void> saveAuthorizedClient(OAuth2AuthorizedClient authorizedClient, Authentication principal) {
		return Mono.empty();
	}

	@Override
	public Mono<Void> removeAuthorizedClient(String clientRegistrationId, String principalName) {
		return Mono.empty();
	}

}
