package dev.dexpace.tokencache.endpoint;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.AbstractWebClientReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.JwtBearerGrantRequest;
import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.endpoint.ReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveJwtBearerTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveTokenExchangeTokenResponseClient;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.web.reactive.function.BodyExtractor;
import org.springframework.web.reactive.function.client.ExchangeStrategies;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;

/**
 * The reactive twin of {@link TokenEndpointClients}: Spring Security's WebClient token
 * response clients on a {@link TokenEndpoint}, reading every response, whatever its
 * status, through the same {@link TokenEndpointResponses}. The body is parsed from bytes,
 * never through the application's JSON codecs, which log what they decode at TRACE. The
 * {@link WebClient} is this class's own, not Spring Boot's builder (which carries the
 * token cache filter, which needs these clients), and never logs request details: its
 * form writer shows only the names of the form fields, and its exchange log no headers
 * (an {@code Authorization: Basic} header holds the client secret).
 *
 * @since 0.1.0
 */
public final class ReactiveTokenEndpointClients {

	private final TokenEndpoint endpoint;

	private final TokenEndpointResponses responses;

	private final DPoPRegistrations dpop;

	private final WebClient webClient;

	private final BodyExtractor<Mono<OAuth2AccessTokenResponse>, ReactiveHttpInputMessage> bodyExtractor;

	/**
	 * Create the clients of a token endpoint.
	 * @param endpoint the token endpoint
	 */
	public ReactiveTokenEndpointClients(TokenEndpoint endpoint) {
		this(endpoint, DPoPRegistrations.none());
	}

	/**
	 * Create the clients of a token endpoint whose registrations may use DPoP.
	 * @param endpoint the token endpoint
	 * @param dpop which registrations send DPoP proofs, with which key
	 */
	public ReactiveTokenEndpointClients(TokenEndpoint endpoint, DPoPRegistrations dpop) {
		this.endpoint = endpoint;
		this.dpop = dpop;
		WebClient.Builder builder = WebClient.builder()
			.exchangeStrategies(ExchangeStrategies.builder()
				.codecs((codecs) -> codecs.defaultCodecs().enableLoggingRequestDetails(false))
				.build());
		if (!dpop.isEmpty()) {
			// DPoP: an identity provider may hand out a nonce on any response.
			builder.filter((request, next) -> next.exchange(request)
				.doOnNext((response) -> dpop.nonceReceived(request.url(), response.headers().asHttpHeaders())));
		}
		this.webClient = builder.build();
		this.responses = endpoint.responses();
		this.bodyExtractor = (inputMessage, context) -> read(inputMessage);
	}

	/**
	 * Return the client for the {@code client_credentials} grant.
	 * @return the client
	 */
	public ReactiveOAuth2AccessTokenResponseClient<OAuth2ClientCredentialsGrantRequest> clientCredentials() {
		return bounded(dpop(configure(new WebClientReactiveClientCredentialsTokenResponseClient())));
	}

	/**
	 * Return the client for token exchange (RFC 8693).
	 * @return the client
	 */
	public ReactiveOAuth2AccessTokenResponseClient<TokenExchangeGrantRequest> tokenExchange() {
		WebClientReactiveTokenExchangeTokenResponseClient client = new WebClientReactiveTokenExchangeTokenResponseClient();
		client.setParametersConverter(this.endpoint::tokenExchangeParameters);
		return bounded(dpop(configure(client)));
	}

	/**
	 * Return the client for the JWT bearer grant (RFC 7523).
	 * @return the client
	 */
	public ReactiveOAuth2AccessTokenResponseClient<JwtBearerGrantRequest> jwtBearer() {
		return bounded(dpop(configure(new WebClientReactiveJwtBearerTokenResponseClient())));
	}

	private Mono<OAuth2AccessTokenResponse> read(ReactiveHttpInputMessage inputMessage) {
		HttpStatusCode status = (inputMessage instanceof ClientHttpResponse response) ? response.getStatusCode()
				: HttpStatus.OK;
		return DataBufferUtils.join(inputMessage.getBody(), TokenEndpointResponses.MAX_BODY_BYTES)
			.map(ReactiveTokenEndpointClients::bytes)
			.defaultIfEmpty(new byte[0])
			.onErrorMap(DataBufferLimitException.class, (ex) -> this.responses.tooLarge())
			.onErrorMap((ex) -> !(ex instanceof OAuth2AuthorizationException), this.responses::transportFailed)
			.map((body) -> this.responses.read(status, inputMessage.getHeaders(), body));
	}

	private static byte[] bytes(DataBuffer buffer) {
		byte[] bytes = new byte[buffer.readableByteCount()];
		buffer.read(bytes);
		DataBufferUtils.release(buffer);
		return bytes;
	}

	/**
	 * Bound the whole token request, connecting, sending and reading the response, by the
	 * timeout, as the RestClient clients are, and report a connection that fails as they
	 * do: a hung identity provider must not hold subscribers (or a background refresh)
	 * forever.
	 */
	private <R extends AbstractOAuth2AuthorizationGrantRequest> ReactiveOAuth2AccessTokenResponseClient<R> bounded(
			ReactiveOAuth2AccessTokenResponseClient<R> client) {
		return (grantRequest) -> client.getTokenResponse(grantRequest)
			.timeout(this.endpoint.timeout(), Mono.error(this.responses::timedOut))
			.onErrorMap(WebClientRequestException.class, this.responses::transportFailed);
	}

	private <T extends AbstractOAuth2AuthorizationGrantRequest, C extends AbstractWebClientReactiveOAuth2AccessTokenResponseClient<T>> C configure(
			C client) {
		client.setWebClient(this.webClient);
		client.setBodyExtractor(this.bodyExtractor);
		this.endpoint.authenticate(client::addParametersConverter);
		if (!this.dpop.isEmpty()) {
			client.addHeadersConverter(
					(grantRequest) -> this.dpop.tokenRequestHeaders(grantRequest.getClientRegistration()));
		}
		return client;
	}

	/**
	 * DPoP, as {@link TokenEndpointClients} sequences it: an identity provider that answers
	 * {@code use_dpop_nonce} gets the request once more, its proof with the nonce the
	 * answer carried; the token type is checked.
	 */
	private <R extends AbstractOAuth2AuthorizationGrantRequest> ReactiveOAuth2AccessTokenResponseClient<R> dpop(
			ReactiveOAuth2AccessTokenResponseClient<R> client) {
		if (this.dpop.isEmpty()) {
			return client;
		}
		return (grantRequest) -> {
			String registrationId = grantRequest.getClientRegistration().getRegistrationId();
			return client.getTokenResponse(grantRequest)
				.onErrorResume((ex) -> this.dpop.retryForNonce(registrationId, ex),
						(ex) -> client.getTokenResponse(grantRequest))
				.map((response) -> this.dpop.checked(registrationId, response));
		};
	}

}
