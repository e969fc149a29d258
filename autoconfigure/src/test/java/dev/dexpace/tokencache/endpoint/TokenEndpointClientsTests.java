package dev.dexpace.tokencache.endpoint;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.jwk.RSAKey;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.test.SecretLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import org.springframework.security.oauth2.client.endpoint.AbstractOAuth2AuthorizationGrantRequest;
import org.springframework.security.oauth2.client.endpoint.NimbusJwtClientAuthenticationParametersConverter;
import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * One test source for the token endpoint, run against both token clients: the RestClient
 * clients ({@link TokenEndpointClients}) and the WebClient clients
 * ({@link ReactiveTokenEndpointClients}) must authenticate the same way with every client
 * authentication method at a token endpoint that checks credentials strictly, read every
 * error the same way (the code and description the endpoint sent, {@code Retry-After} as
 * a {@link TokenEndpointBusyException}, one body limit), and never log a secret.
 */
class TokenEndpointClientsTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final String SECRET = "client-secret-" + UUID.randomUUID();

	private static final KeyPair KEY_PAIR = rsaKeyPair();

	private final List<StrictTokenEndpoint> endpoints = new ArrayList<>();

	@AfterEach
	void close() {
		this.endpoints.forEach(StrictTokenEndpoint::close);
	}

	/**
	 * The two token clients, each sending one grant request to a token endpoint.
	 */
	enum Client {

		REST_CLIENT((endpoint, request) -> {
			TokenEndpointClients clients = new TokenEndpointClients(endpoint);
			return (request instanceof TokenExchangeGrantRequest exchange)
					? clients.tokenExchange().getTokenResponse(exchange)
					: clients.clientCredentials().getTokenResponse((OAuth2ClientCredentialsGrantRequest) request);
		}),

		WEB_CLIENT((endpoint, request) -> {
			ReactiveTokenEndpointClients clients = new ReactiveTokenEndpointClients(endpoint);
			return ((request instanceof TokenExchangeGrantRequest exchange)
					? clients.tokenExchange().getTokenResponse(exchange)
					: clients.clientCredentials().getTokenResponse((OAuth2ClientCredentialsGrantRequest) request))
				.block(WAIT);
		});

		private final BiFunction<TokenEndpoint, AbstractOAuth2AuthorizationGrantRequest, OAuth2AccessTokenResponse> send;

		Client(BiFunction<TokenEndpoint, AbstractOAuth2AuthorizationGrantRequest, OAuth2AccessTokenResponse> send) {
			this.send = send;
		}

		OAuth2AccessTokenResponse send(TokenEndpoint endpoint, AbstractOAuth2AuthorizationGrantRequest request) {
			return this.send.apply(endpoint, request);
		}

		OAuth2AuthorizationException fails(TokenEndpoint endpoint, AbstractOAuth2AuthorizationGrantRequest request) {
			OAuth2AuthorizationException failure = catchThrowableOfType(OAuth2AuthorizationException.class,
					() -> send(endpoint, request));
			assertThat(failure).as("the token request's failure").isNotNull();
			for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
				assertThat(SecretLeakDetector.findSecretIn(String.valueOf(cause.getMessage()))).isNull();
				assertThat(String.valueOf(cause.getMessage())).doesNotContain(SECRET);
			}
			return failure;
		}

	}

	static Stream<Arguments> clientsAndAuthenticationMethods() {
		List<Arguments> arguments = new ArrayList<>();
		for (Client client : Client.values()) {
			for (ClientAuthenticationMethod method : List.of(ClientAuthenticationMethod.CLIENT_SECRET_BASIC,
					ClientAuthenticationMethod.CLIENT_SECRET_POST, ClientAuthenticationMethod.PRIVATE_KEY_JWT,
					ClientAuthenticationMethod.NONE)) {
				arguments.add(arguments(client, Named.of(method.getValue(), method)));
			}
		}
		return arguments.stream();
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("clientsAndAuthenticationMethods")
	void aClientCredentialsTokenIsIssuedToAClientThatAuthenticatesWith(Client client, ClientAuthenticationMethod method) {
		StrictTokenEndpoint idp = start(method);
		OAuth2AccessTokenResponse response = client.send(endpoint(), clientCredentials(idp, method, SECRET));
		assertThat(idp.issuedTokens()).containsExactly(response.getAccessToken().getTokenValue());
		assertThat(response.getAccessToken().getExpiresAt()).isAfter(Instant.now().plusSeconds(500));
		assertThat(idp.forms()).singleElement()
			.satisfies((form) -> assertThat(form).containsEntry("grant_type", "client_credentials")
				.containsEntry("scope", "api.read"));
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("clientsAndAuthenticationMethods")
	void aTokenExchangeIsGrantedToAClientThatAuthenticatesWith(Client client, ClientAuthenticationMethod method) {
		StrictTokenEndpoint idp = start(method);
		String subject = "subject-token-" + UUID.randomUUID();
		OAuth2AccessTokenResponse response = client.send(endpoint(), tokenExchange(idp, method, subject));
		assertThat(idp.issuedTokens()).containsExactly(response.getAccessToken().getTokenValue());
		assertThat(idp.forms()).singleElement()
			.satisfies((form) -> assertThat(form).containsEntry("subject_token", subject)
				.containsEntry("subject_token_type", TokenEndpoint.ACCESS_TOKEN_TYPE));
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("clientsAndAuthenticationMethods")
	void aRejectedClientGetsTheCodeAndDescriptionTheEndpointSent(Client client, ClientAuthenticationMethod method) {
		StrictTokenEndpoint idp = (method.equals(ClientAuthenticationMethod.PRIVATE_KEY_JWT))
				? track(new StrictTokenEndpoint(method, SECRET, (RSAPublicKey) rsaKeyPair().getPublic()))
				: start(method);
		ClientRegistration registration = registration(idp, method, "wrong-" + SECRET);
		AbstractOAuth2AuthorizationGrantRequest request = new OAuth2ClientCredentialsGrantRequest(
				method.equals(ClientAuthenticationMethod.NONE)
						? ClientRegistration.withClientRegistration(registration).clientId("someone-else").build()
						: registration);
		OAuth2AuthorizationException failure = client.fails(endpoint(), request);
		assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_client");
		assertThat(failure.getError().getDescription()).startsWith(method.getValue() + ": ");
	}

	static Stream<Arguments> failures() {
		String in120s = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().plusSeconds(120).atOffset(ZoneOffset.UTC));
		List<Arguments> arguments = new ArrayList<>();
		for (Client client : Client.values()) {
			arguments.add(arguments(client, Named.of("500", new Failure(500, Map.of(), "{\"error\":\"server_error\"}",
					"server_error", "The token endpoint answered 500", null))));
			arguments.add(arguments(client, Named.of("503 Retry-After: 30", new Failure(503,
					Map.of("Retry-After", "30"), "{}", "temporarily_unavailable",
					"The token endpoint answered 503 (Retry-After: 30)", Duration.ofSeconds(30)))));
			arguments.add(arguments(client, Named.of("429 Retry-After: an HTTP date", new Failure(429,
					Map.of("Retry-After", in120s), "", "invalid_token_response",
					"The token endpoint answered 429 (Retry-After: " + in120s + ")",
					Duration.ofSeconds(120)))));
			arguments.add(arguments(client, Named.of("503 Retry-After: a day", new Failure(503,
					Map.of("Retry-After", "86400"), "", "temporarily_unavailable",
					"The token endpoint answered 503 (Retry-After: 86400)", Duration.ofHours(1)))));
			arguments.add(arguments(client, Named.of("400 invalid_scope", new Failure(400, Map.of(),
					"{\"error\":\"invalid_scope\",\"error_description\":\"scope api.write is not allowed\"}",
					"invalid_scope", "scope api.write is not allowed", null))));
			arguments.add(arguments(client, Named.of("401 without a body", new Failure(401,
					Map.of("WWW-Authenticate", "Basic realm=\"idp\""), "", "invalid_client",
					"The token endpoint answered 401", null))));
			arguments.add(arguments(client, Named.of("400 HTML that echoes the secret", new Failure(400,
					Map.of("Content-Type", "text/html"), "<html>echo: " + SECRET + "</html>", "invalid_request",
					"The token endpoint answered 400", null))));
			arguments.add(arguments(client, Named.of("200 over the body limit", new Failure(200, Map.of(),
					"{\"access_token\":\"" + "x".repeat(TokenEndpointResponses.MAX_BODY_BYTES) + "\"}",
					"invalid_token_response", "The token response is larger than 1048576 bytes", null))));
			arguments.add(arguments(client, Named.of("200 malformed JSON", new Failure(200, Map.of(),
					"{\"access_token\":\"" + SECRET, "invalid_token_response",
					"The token response is not a valid JSON object", null))));
			arguments.add(arguments(client, Named.of("200 empty", new Failure(200, Map.of(), "",
					"invalid_token_response", "Empty OAuth 2.0 Access Token Response", null))));
			arguments.add(arguments(client, Named.of("200 with an OAuth 2.0 error", new Failure(200, Map.of(),
					"{\"error\":\"invalid_grant\",\"error_description\":\"subject token expired\"}", "invalid_grant",
					"subject token expired", null))));
		}
		return arguments.stream();
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("failures")
	void aFailingTokenEndpointGivesTheSameErrorToBothClients(Client client, Failure expected) {
		StrictTokenEndpoint idp = start(ClientAuthenticationMethod.CLIENT_SECRET_BASIC);
		idp.answer(expected.status(), expected.headers(), expected.body());
		OAuth2AuthorizationException failure = client.fails(endpoint(),
				clientCredentials(idp, ClientAuthenticationMethod.CLIENT_SECRET_BASIC, SECRET));
		assertThat(failure.getError().getErrorCode()).isEqualTo(expected.code());
		assertThat(failure.getError().getDescription()).isEqualTo(expected.description());
		if (expected.retryAfter() != null) {
			assertThat(failure).isInstanceOf(TokenEndpointBusyException.class);
			assertThat(((TokenEndpointBusyException) failure).getRetryAfter())
				.isBetween(expected.retryAfter().minusSeconds(10), expected.retryAfter());
		}
		else {
			assertThat(failure).isNotInstanceOf(TokenEndpointBusyException.class);
		}
	}

	@ParameterizedTest
	@EnumSource(Client.class)
	void aTokenResponseOfAnyContentTypeIsRead(Client client) {
		StrictTokenEndpoint idp = start(ClientAuthenticationMethod.CLIENT_SECRET_BASIC);
		String token = "plain-" + UUID.randomUUID();
		SecretLeakDetector.watch(token);
		idp.answer(200, Map.of("Content-Type", "text/plain"),
				"{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":600}");
		OAuth2AccessTokenResponse response = client.send(endpoint(),
				clientCredentials(idp, ClientAuthenticationMethod.CLIENT_SECRET_BASIC, SECRET));
		assertThat(response.getAccessToken().getTokenValue()).isEqualTo(token);
	}

	@ParameterizedTest
	@EnumSource(Client.class)
	void aDroppedConnectionIsAnIoErrorOfTheTokenRequest(Client client) {
		StrictTokenEndpoint idp = start(ClientAuthenticationMethod.CLIENT_SECRET_BASIC);
		idp.dropConnections();
		OAuth2AuthorizationException failure = client.fails(endpoint(),
				clientCredentials(idp, ClientAuthenticationMethod.CLIENT_SECRET_BASIC, SECRET));
		assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_token_response");
		assertThat(failure.getError().getDescription()).startsWith("I/O error on the token request");
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("clientsAndAuthenticationMethods")
	void theDebugLogOfSpringsHttpClientsNeverShowsASecretOfTheTokenRequest(Client client,
			ClientAuthenticationMethod method) {
		StrictTokenEndpoint idp = start(method);
		String subject = "subject-token-" + UUID.randomUUID();
		SecretLeakDetector.watch(subject);
		Logger logger = (Logger) LoggerFactory.getLogger("org.springframework");
		Level level = logger.getLevel();
		ListAppender<ILoggingEvent> appender = new ListAppender<>();
		appender.start();
		logger.addAppender(appender);
		logger.setLevel(Level.TRACE);
		try {
			client.send(endpoint(), tokenExchange(idp, method, subject));
		}
		finally {
			logger.setLevel(level);
			logger.detachAppender(appender);
		}
		List<String> messages = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
		assertThat(messages).as("the form was logged").anyMatch((message) -> message.contains("Writing"));
		assertThat(messages).noneMatch((message) -> message.contains(SECRET) || message.contains(subject)
				|| message.contains(idp.issuedTokens().iterator().next()));
	}

	private StrictTokenEndpoint start(ClientAuthenticationMethod method) {
		return track(new StrictTokenEndpoint(method, SECRET, (RSAPublicKey) KEY_PAIR.getPublic()));
	}

	private StrictTokenEndpoint track(StrictTokenEndpoint endpoint) {
		this.endpoints.add(endpoint);
		return endpoint;
	}

	/**
	 * The token endpoint of the clients, with a {@code private_key_jwt} client
	 * authentication whose JWK the test provides.
	 */
	private static TokenEndpoint endpoint() {
		Clock clock = Clock.systemUTC();
		RSAKey jwk = new RSAKey.Builder((RSAPublicKey) KEY_PAIR.getPublic())
			.privateKey((RSAPrivateKey) KEY_PAIR.getPrivate())
			.keyID("test-key")
			.build();
		return new TokenEndpoint(
				new ExpiryResolvingTokenResponseConverter(new TokenLifetimeResolver(Duration.ofMinutes(5), clock), clock),
				WAIT, (registrationId) -> TokenEndpoint.ACCESS_TOKEN_TYPE,
				new NimbusJwtClientAuthenticationParametersConverter<>((registration) -> ClientAuthenticationMethod.PRIVATE_KEY_JWT
					.equals(registration.getClientAuthenticationMethod()) ? jwk : null));
	}

	private static ClientRegistration registration(StrictTokenEndpoint idp, ClientAuthenticationMethod method,
			String secret) {
		ClientRegistration.Builder builder = ClientRegistration.withRegistrationId("api")
			.clientId(StrictTokenEndpoint.CLIENT_ID)
			.clientAuthenticationMethod(method)
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope("api.read")
			.tokenUri(idp.tokenUri());
		if (method.equals(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
				|| method.equals(ClientAuthenticationMethod.CLIENT_SECRET_POST)) {
			builder.clientSecret(secret);
		}
		return builder.build();
	}

	private static OAuth2ClientCredentialsGrantRequest clientCredentials(StrictTokenEndpoint idp,
			ClientAuthenticationMethod method, String secret) {
		return new OAuth2ClientCredentialsGrantRequest(registration(idp, method, secret));
	}

	private static TokenExchangeGrantRequest tokenExchange(StrictTokenEndpoint idp, ClientAuthenticationMethod method,
			String subject) {
		ClientRegistration registration = ClientRegistration.withClientRegistration(registration(idp, method, SECRET))
			.authorizationGrantType(AuthorizationGrantType.TOKEN_EXCHANGE)
			.build();
		OAuth2AccessToken token = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, subject, Instant.now(),
				Instant.now().plusSeconds(600));
		return new TokenExchangeGrantRequest(registration, token, null);
	}

	private static KeyPair rsaKeyPair() {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
			generator.initialize(2048);
			return generator.generateKeyPair();
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	record Failure(int status, Map<String, String> headers, String body, String code, String description,
			Duration retryAfter) {

	}

}
