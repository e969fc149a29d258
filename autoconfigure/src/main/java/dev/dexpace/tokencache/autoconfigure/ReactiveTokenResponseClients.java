package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;

import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseBodyExtractor;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;

import reactor.core.publisher.Mono;

import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.AbstractWebClientReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.JwtBearerGrantRequest;
import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.endpoint.ReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveJwtBearerTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveTokenExchangeTokenResponseClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The reactive twin of {@link TokenResponseClients}: Spring Security's WebClient-based
 * token response clients, reading the token response with an
 * {@link ExpiryResolvingTokenResponseBodyExtractor} so that the expiry is resolved from the
 * raw response, and sending the token-exchange parameters of
 * {@link TokenExchangeParameters}. Their {@link WebClient} is a plain one, not Boot's
 * builder: the builder carries the token cache filter, which needs these clients.
 */
final class ReactiveTokenResponseClients {

	private final WebClient webClient = WebClient.builder().build();

	private final ExpiryResolvingTokenResponseBodyExtractor bodyExtractor;

	private final TokenExchangeParameters tokenExchangeParameters;

	private final Duration timeout;

	ReactiveTokenResponseClients(ExpiryResolvingTokenResponseConverter responseConverter,
			RegistrationSettings registrations, Duration timeout) {
		this.bodyExtractor = new ExpiryResolvingTokenResponseBodyExtractor(responseConverter);
		this.tokenExchangeParameters = new TokenExchangeParameters(registrations);
		this.timeout = timeout;
	}

	ReactiveOAuth2AccessTokenResponseClient<OAuth2ClientCredentialsGrantRequest> clientCredentials() {
		return bounded(configure(new WebClientReactiveClientCredentialsTokenResponseClient()));
	}

	ReactiveOAuth2AccessTokenResponseClient<TokenExchangeGrantRequest> tokenExchange() {
		WebClientReactiveTokenExchangeTokenResponseClient client = configure(
				new WebClientReactiveTokenExchangeTokenResponseClient());
		client.setParametersConverter(this.tokenExchangeParameters);
		return bounded(client);
	}

	ReactiveOAuth2AccessTokenResponseClient<JwtBearerGrantRequest> jwtBearer() {
		return bounded(configure(new WebClientReactiveJwtBearerTokenResponseClient()));
	}

	/**
	 * Bound the whole token request, connecting, sending and reading the response, by the
	 * token request timeout, as the blocking clients are: a hung identity provider must
	 * not hold subscribers (or a background refresh) forever.
	 */
	private <R extends AbstractOAuth2AuthorizationGrantRequest> ReactiveOAuth2AccessTokenResponseClient<R> bounded(
			ReactiveOAuth2AccessTokenResponseClient<R> client) {
		return (grantRequest) -> client.getTokenResponse(grantRequest)
			.timeout(this.timeout, Mono.error(() -> TokenEndpointResponses.timedOut(this.timeout)));
	}

	private <C extends AbstractWebClientReactiveOAuth2AccessTokenResponseClient<?>> C configure(C client) {
		client.setWebClient(this.webClient);
		client.setBodyExtractor(this.bodyExtractor);
		return client;
	}

}
