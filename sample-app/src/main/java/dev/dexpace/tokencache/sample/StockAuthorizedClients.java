package dev.dexpace.tokencache.sample;

import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * The authorized client manager of a stock Spring Security client, as its reference
 * documentation wires one for client_credentials outside a request, and the in-memory
 * store it keeps its tokens in.
 * <p>
 * Never declared as a bean on its own: the token cache decorates every
 * {@link OAuth2AuthorizedClientManager} bean, and this one must stay stock.
 */
final class StockAuthorizedClients {

	private final InMemoryOAuth2AuthorizedClientService clients;

	private final AuthorizedClientServiceOAuth2AuthorizedClientManager manager;

	StockAuthorizedClients(ClientRegistrationRepository registrations) {
		this.clients = new InMemoryOAuth2AuthorizedClientService(registrations);
		this.manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, this.clients);
		this.manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
	}

	OAuth2AuthorizedClientManager manager() {
		return this.manager;
	}

	/**
	 * Drop the tokens the manager holds for the workload's users, so that the next run
	 * starts with none, as the token cache's run does.
	 * @param users the number of users of the workload
	 */
	void forgetTokens(int users) {
		for (int user = 0; user < users; user++) {
			this.clients.removeAuthorizedClient(LocalClientRegistrationRepository.REGISTRATION_ID,
					Workload.userName(user));
		}
	}

}
