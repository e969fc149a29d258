package dev.dexpace.tokencache.endpoint;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.converter.FormHttpMessageConverter;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.AbstractRestClientOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.JwtBearerGrantRequest;
import org.springframework.security.oauth2.client.endpoint.OAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.endpoint.RestClientClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.RestClientJwtBearerTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.RestClientTokenExchangeTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.web.client.RestClient;

/**
 * Spring Security's RestClient token response clients on a {@link TokenEndpoint}: the
 * RestClient carries status, headers and body bytes to the decisions the WebClient twin
 * uses too, and its debug log never shows a secret of the form.
 *
 * @since 0.1.0
 */
public final class TokenEndpointClients {

	private final TokenEndpoint endpoint;

	private final TokenEndpointResponses responses;

	private final DPoPRegistrations dpop;

	private final Function<String, ClientHttpRequestFactory> requestFactories;

	private final Map<ClientHttpRequestFactory, RestClient> restClients = new ConcurrentHashMap<>();

	/**
	 * Create the clients of a token endpoint that connect with the JDK
	 * {@link HttpClient}, bounded by the endpoint's timeout.
	 * @param endpoint the token endpoint
	 */
	public TokenEndpointClients(TokenEndpoint endpoint) {
		this(endpoint, defaultRequestFactory(endpoint));
	}

	private TokenEndpointClients(TokenEndpoint endpoint, ClientHttpRequestFactory requestFactory) {
		this(endpoint, (registrationId) -> requestFactory);
	}

	/**
	 * Create the clients of a token endpoint that connect through the request factory of
	 * each client registration, such as one with the registration's TLS settings (a
	 * private certificate authority, or a client certificate for RFC 8705
	 * {@code tls_client_auth}). Registrations whose factory is the same instance share
	 * one {@link RestClient}.
	 * @param endpoint the token endpoint
	 * @param requestFactories the request factory of a registration id, asked once per
	 * registration; its timeouts should not exceed the endpoint's
	 */
	public TokenEndpointClients(TokenEndpoint endpoint, Function<String, ClientHttpRequestFactory> requestFactories) {
		this(endpoint, requestFactories, DPoPRegistrations.none());
	}

	/**
	 * Create the clients of a token endpoint that connect through the request factory of
	 * each client registration and whose registrations may use DPoP (RFC 9449).
	 * @param endpoint the token endpoint
	 * @param requestFactories the request factory of a registration id, asked once per
	 * registration; its timeouts should not exceed the endpoint's
	 * @param dpop which registrations send DPoP proofs, with which key
	 */
	public TokenEndpointClients(TokenEndpoint endpoint, Function<String, ClientHttpRequestFactory> requestFactories,
			DPoPRegistrations dpop) {
		this.endpoint = endpoint;
		this.dpop = dpop;
		this.responses = endpoint.responses();
		Map<String, ClientHttpRequestFactory> byRegistration = new ConcurrentHashMap<>();
		this.requestFactories = (registrationId) -> byRegistration.computeIfAbsent(registrationId, requestFactories);
	}

	private RestClient restClient(ClientHttpRequestFactory requestFactory) {
		TokenEndpointResponses responses = this.responses;
		return RedactedTokenRequests.of(RestClient.builder()
			.configureMessageConverters((converters) -> {
				converters.addCustomConverter(new FormHttpMessageConverter());
				converters.addCustomConverter(new TokenResponseConverter(responses));
			})
			.requestFactory(requestFactory)
			// The JDK client only says "Request cancelled" for a timeout.
			.requestInterceptor((request, body, execution) -> {
				try {
					return execution.execute(request, body);
				}
				catch (IOException ex) {
					throw responses.transportFailed(ex);
				}
			})
			// DPoP: an identity provider may hand out a nonce on any response.
			.requestInterceptor((request, body, execution) -> {
				ClientHttpResponse response = execution.execute(request, body);
				if (!this.dpop.isEmpty()) {
					this.dpop.nonceReceived(request.getURI(), response.getHeaders());
				}
				return response;
			})
			.defaultStatusHandler((status) -> !status.is2xxSuccessful(),
					(request, response) -> failed(response, responses))
			.build());
	}

	/**
	 * A token endpoint that accepts the connection and never answers must not hold the
	 * calling thread, nor every caller waiting on its single-flight request, forever. The
	 * read timeout of the JDK client covers the whole response, body included.
	 */
	private static JdkClientHttpRequestFactory defaultRequestFactory(TokenEndpoint endpoint) {
		JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
				HttpClient.newBuilder().connectTimeout(endpoint.timeout()).build());
		factory.setReadTimeout(endpoint.timeout());
		return factory;
	}

	/**
	 * Return the client for the {@code client_credentials} grant.
	 * @return the client
	 */
	public OAuth2AccessTokenResponseClient<OAuth2ClientCredentialsGrantRequest> clientCredentials() {
		return routed((restClient) -> configure(new RestClientClientCredentialsTokenResponseClient(), restClient));
	}

	/**
	 * Return the client for token exchange (RFC 8693).
	 * @return the client
	 */
	public OAuth2AccessTokenResponseClient<TokenExchangeGrantRequest> tokenExchange() {
		return routed((restClient) -> {
			RestClientTokenExchangeTokenResponseClient client = new RestClientTokenExchangeTokenResponseClient();
			client.setParametersConverter(this.endpoint::tokenExchangeParameters);
			return configure(client, restClient);
		});
	}

	/**
	 * Return the client for the JWT bearer grant (RFC 7523).
	 * @return the client
	 */
	public OAuth2AccessTokenResponseClient<JwtBearerGrantRequest> jwtBearer() {
		return routed((restClient) -> configure(new RestClientJwtBearerTokenResponseClient(), restClient));
	}

	/**
	 * One Spring Security client per {@link RestClient}, picked by the registration of
	 * each grant request.
	 */
	private <T extends AbstractOAuth2AuthorizationGrantRequest> OAuth2AccessTokenResponseClient<T> routed(
			Function<RestClient, OAuth2AccessTokenResponseClient<T>> clientOf) {
		Map<RestClient, OAuth2AccessTokenResponseClient<T>> clients = new ConcurrentHashMap<>();
		return (grantRequest) -> {
			ClientHttpRequestFactory requestFactory = this.requestFactories
				.apply(grantRequest.getClientRegistration().getRegistrationId());
			RestClient restClient = this.restClients.computeIfAbsent(requestFactory, this::restClient);
			return clients.computeIfAbsent(restClient, clientOf).getTokenResponse(grantRequest);
		};
	}

	private <T extends AbstractOAuth2AuthorizationGrantRequest, C extends AbstractRestClientOAuth2AccessTokenResponseClient<T>> OAuth2AccessTokenResponseClient<T> configure(
			C client, RestClient restClient) {
		client.setRestClient(restClient);
		this.endpoint.authenticate(client::addParametersConverter);
		if (this.dpop.isEmpty()) {
			return client;
		}
		client.addHeadersConverter((grantRequest) -> this.dpop.tokenRequestHeaders(grantRequest.getClientRegistration()));
		return dpop(client);
	}

	/**
	 * A DPoP token request: asked once more with the nonce an identity provider demands
	 * ({@code use_dpop_nonce}), and its answer checked for a bound token.
	 */
	private <T extends AbstractOAuth2AuthorizationGrantRequest> OAuth2AccessTokenResponseClient<T> dpop(
			OAuth2AccessTokenResponseClient<T> client) {
		return (grantRequest) -> {
			String registrationId = grantRequest.getClientRegistration().getRegistrationId();
			OAuth2AccessTokenResponse response;
			try {
				response = client.getTokenResponse(grantRequest);
			}
			catch (RuntimeException ex) {
				if (!this.dpop.retryForNonce(registrationId, ex)) {
					throw ex;
				}
				response = client.getTokenResponse(grantRequest);
			}
			return this.dpop.checked(registrationId, response);
		};
	}

	/**
	 * Read a body up to {@link TokenEndpointResponses#MAX_BODY_BYTES}.
	 */
	private static byte[] read(InputStream body, TokenEndpointResponses responses) {
		try {
			byte[] bytes = body.readNBytes(TokenEndpointResponses.MAX_BODY_BYTES + 1);
			if (bytes.length > TokenEndpointResponses.MAX_BODY_BYTES) {
				throw responses.tooLarge();
			}
			return bytes;
		}
		catch (IOException ex) {
			throw responses.transportFailed(ex);
		}
	}

	private static void failed(ClientHttpResponse response, TokenEndpointResponses responses) throws IOException {
		byte[] body;
		try {
			body = read(response.getBody(), responses);
		}
		catch (OAuth2AuthorizationException ex) {
			// An error body that does not read still has a status that does.
			body = new byte[0];
		}
		throw responses.error(response.getStatusCode(), response.getHeaders(), body);
	}

	/**
	 * Reads a success response of any content type, as the WebClient clients do.
	 */
	private static final class TokenResponseConverter implements HttpMessageConverter<OAuth2AccessTokenResponse> {

		private final TokenEndpointResponses responses;

		TokenResponseConverter(TokenEndpointResponses responses) {
			this.responses = responses;
		}

		@Override
		public boolean canRead(Class<?> clazz, @Nullable MediaType mediaType) {
			return OAuth2AccessTokenResponse.class.isAssignableFrom(clazz);
		}

		@Override
		public boolean canWrite(Class<?> clazz, @Nullable MediaType mediaType) {
			return false;
		}

		@Override
		public List<MediaType> getSupportedMediaTypes() {
			return List.of(MediaType.ALL);
		}

		@Override
		public OAuth2AccessTokenResponse read(Class<? extends OAuth2AccessTokenResponse> clazz,
				HttpInputMessage inputMessage) throws IOException {
			return this.responses.read(HttpStatus.OK, inputMessage.getHeaders(),
					TokenEndpointClients.read(inputMessage.getBody(), this.responses));
		}

		@Override
		public void write(OAuth2AccessTokenResponse t, @Nullable MediaType contentType, HttpOutputMessage outputMessage)
				throws HttpMessageNotWritableException {
			throw new HttpMessageNotWritableException("Token responses are only read");
		}

	}

}
