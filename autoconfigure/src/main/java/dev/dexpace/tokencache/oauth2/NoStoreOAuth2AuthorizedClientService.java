package dev.dexpace.tokencache.oauth2;

import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;

/**
 * An {@link OAuth2AuthorizedClientService} that stores nothing. The delegate manager of
 * {@link CachingOAuth2AuthorizedClientManager} runs on it, so the token cache is the only
 * place a token lives and a deleted token can never come back from a second copy.
 *
 * @since 0.1.0
 */
public final class NoStoreOAuth2AuthorizedClientService implements OAuth2AuthorizedClientService {

	@Override
	public <T extends OAuth2AuthorizedClient> @Nullable T loadAuthorizedClient(String clientRegistrationId,
			String principalName) {
		return null;
	}

	@Override
	public void saveAuthorizedClient(OAuth2AuthorizedClient authorizedClient, Authentication principal) {
	}

	@Override
	public void removeAuthorizedClient(String clientRegistrationId, String principalName) {
	}

}
