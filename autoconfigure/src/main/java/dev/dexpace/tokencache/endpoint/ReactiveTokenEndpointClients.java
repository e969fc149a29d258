package dev.dexpace.tokencache.endpoint;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.http.client.reactive.ClientHttpConnector;
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

	private final Function<String, Mono<ClientHttpConnector>> connectors;

	private final WebClient defaultWebClient;

	private final Map<ClientHttpConnector, WebClient> webClients = new ConcurrentHashMap<>();

	private final BodyExtractor<Mono<OAuth2AccessTokenResponse>, ReactiveHttpInputMessage> bodyExtractor;

	/**
	 * Create the clients of a token endpoint that connect with WebClient's default
	 * connector.
	 * @param endpoint the token endpoint
	 */
	public ReactiveTokenEndpointClients(TokenEndpoint endpoint) {
		this(endpoint, (registrationId) -> null);
	}

	/**
	 * Create the clients of a token endpoint that connect through the connector of each
	 * client registration, such as one with the registration's TLS settings (a private
	 * certificate authority, or a client certificate for RFC 8705
	 * {@code tls_client_auth}). Registrations whose connector is the same instance share
	 * one {@link WebClient}. Whatever the connector, the endpoint's timeout bounds the
	 * whole request.
	 * @param endpoint the token endpoint
	 * @param connectors the connector of a registration id, asked once per registration,
	 * or {@code null} for WebClient's default
	 */
	public ReactiveTokenEndpointClients(TokenEndpoint endpoint,
			Function<String, @Nullable ClientHttpConnector> connectors) {
		this(endpoint, connectors, DPoPRegistrations.none());
	}

	/**
	 * Create the clients of a token endpoint that connect through the connector of each
	 * client registration and whose registrations may use DPoP (RFC 9449).
	 * @param endpoint the token endpoint
	 * @param connectors the connector of a registration id, asked once per registration,
	 * or {@code null} for WebClient's default
	 * @param dpop which registrations send DPoP proofs, with which key
	 */
	public ReactiveTokenEndpointClients(TokenEndpoint endpoint,
			Function<String, @Nullable ClientHttpConnector> connectors, DPoPRegistrations dpop) {
		this.endpoint = endpoint;
		this.dpop = dpop;
		this.responses = endpoint.responses();
		this.bodyExtractor = (inputMessage, context) -> read(inputMessage);
		this.defaultWebClient = webClient(null);
		Map<String, Optional<ClientHttpConnector>> byRegistration = new ConcurrentHashMap<>();
		// The first connector of a registration may build an HTTP client, which reads
		// files (TLS settings, key stores): never on an event loop.
		this.connectors = (registrationId) -> {
			Optional<ClientHttpConnector> known = byRegistration.get(registrationId);
			if (known != null) {
				return Mono.justOrEmpty(known);
			}
			return Mono
				.fromCallable(() -> byRegistration.computeIfAbsent(registrationId,
						(id) -> Optional.ofNullable(connectors.apply(id))))
				.subscribeOn(Schedulers.boundedElastic())
				.flatMap(Mono::justOrEmpty);
		};
	}

	private WebClient webClient(@Nullable ClientHttpConnector connector) {
		WebClient.Builder builder = WebClient.builder()
			.exchangeStrategies(ExchangeStrategies.builder()
				.codecs((codecs) -> codecs.defaultCodecs().enableLoggingRequestDetails(false))
				.build());
		if (connector != null) {
			builder.clientConnector(connector);
		}
		DPoPRegistrations dpop = this.dpop;
		if (!dpop.isEmpty()) {
			// DPoP: an identity provider may hand out a nonce on any response.
			builder.filter((request, next) -> next.exchange(request)
				.doOnNext((response) -> dpop.nonceReceived(request.url(), response.headers().asHttpHeaders())));
		}
		return builder.build();
	}

	/**
	 * Return the client for the {@code client_credentials} grant.
	 * @return the client
	 */
	public ReactiveOAuth2AccessTokenResponseClient<OAuth2ClientCredentialsGrantRequest> clientCredentials() {
		return bounded(dpop(routed((webClient) -> configure(
				new WebClientReactiveClientCredentialsTokenResponseClient(), webClient))));
	}

	/**
	 * Return the client for token exchange (RFC 8693).
	 * @return the client
	 */
	public ReactiveOAuth2AccessTokenResponseClient<TokenExchangeGrantRequest> tokenExchange() {
		return bounded(dpop(routed((webClient) -> {
			WebClientReactiveTokenExchangeTokenResponseClient client = new WebClientReactiveTokenExchangeTokenResponseClient();
			client.setParametersConverter(this.endpoint::tokenExchangeParameters);
			return configure(client, webClient);
		})));
	}

	/**
	 * Return the client for the JWT bearer grant (RFC 7523).
	 * @return the client
	 */
	public ReactiveOAuth2AccessTokenResponseClient<JwtBearerGrantRequest> jwtBearer() {
		return bounded(dpop(
				routed((webClient) -> configure(new WebClientReactiveJwtBearerTokenResponseClient(), webClient))));
	}

	/**
	 * One Spring Security client per {@link WebClient}, picked by the registration of
	 * each grant request, as {@link TokenEndpointClients} does.
	 */
	private <T extends AbstractOAuth2AuthorizationGrantRequest> ReactiveOAuth2AccessTokenResponseClient<T> routed(
			Function<WebClient, ReactiveOAuth2AccessTokenResponseClient<T>> clientOf) {
		Map<WebClient, ReactiveOAuth2AccessTokenResponseClient<T>> clients = new ConcurrentHashMap<>();
		return (grantRequest) -> this.connectors.apply(grantRequest.getClientRegistration().getRegistrationId())
			.map((connector) -> this.webClients.computeIfAbsent(connector, this::webClient))
			.defaultIfEmpty(this.defaultWebClient)
			.flatMap((webClient) -> clients.computeIfAbsent(webClient, clientOf).getTokenResponse(grantRequest));
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
			C client, WebClient webClient) {
		client.setWebClient(webClient);
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
