package dev.dexpace.tokencache.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;

/**
 * A real HTTP identity provider and resource server for tests, on a loopback port: the
 * token endpoint ({@code POST /token}) issues tokens in a configurable shape and counts
 * requests; the API ({@code GET /api}) accepts issued, unrevoked bearer tokens and
 * answers 401 {@code invalid_token} otherwise; {@code GET /elsewhere} stands for a host
 * that must never see a token and records the {@code Authorization} headers it receives.
 * <p>
 * Like a real identity provider, the token endpoint answers a request that repeats a form
 * parameter with {@code 400 invalid_request} ("duplicated parameter").
 * <p>
 * For bad-input and fault tests the token endpoint can answer with any body built around
 * a fresh token, with an error status and headers, hold its answer (a hang, or a slow
 * identity provider), or drop the connection without an answer. Every token it hands out
 * and every subject token it receives is watched by {@link SecretLeakDetector}.
 */
public final class TestIdentityProvider implements AutoCloseable {

	/**
	 * How the token endpoint describes a token's lifetime.
	 */
	public enum Shape {

		/** Opaque token with {@code expires_in}. */
		EXPIRES_IN,

		/** JWT access token with an {@code exp} claim, no {@code expires_in}. */
		JWT_WITHOUT_EXPIRES_IN,

		/** Opaque token, no lifetime information at all. */
		OPAQUE_WITHOUT_EXPIRES_IN

	}

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(32);

	private final AtomicInteger tokenRequests = new AtomicInteger();

	private final AtomicInteger apiCalls = new AtomicInteger();

	private final Set<String> issued = ConcurrentHashMap.newKeySet();

	private final Set<String> revoked = ConcurrentHashMap.newKeySet();

	private final List<String> revokedTokensReceived = new CopyOnWriteArrayList<>();

	private final List<Map<String, String>> tokenRequestParameters = new CopyOnWriteArrayList<>();

	private final AtomicReference<CountDownLatch> tokenGate = new AtomicReference<>(new CountDownLatch(0));

	private final AtomicReference<CountDownLatch> nextTokenGate = new AtomicReference<>();

	private final AtomicInteger failTokenRequests = new AtomicInteger();

	private volatile Shape shape = Shape.EXPIRES_IN;

	private volatile Duration lifetime = Duration.ofMinutes(10);

	private volatile int apiStatusOverride;

	private volatile @org.jspecify.annotations.Nullable Function<String, String> tokenBody;

	private volatile Supplier<String> tokenValues = () -> "opaque-" + UUID.randomUUID();

	private final AtomicInteger failStatus = new AtomicInteger(500);

	private volatile Map<String, String> failHeaders = Map.of();

	private volatile String failBody = "{\"error\":\"server_error\"}";

	private final AtomicInteger dropConnections = new AtomicInteger();

	private volatile boolean watched = true;

	private final List<String> authorizationsElsewhere = new CopyOnWriteArrayList<>();

	private final AtomicInteger callsElsewhere = new AtomicInteger();

	/**
	 * Stop watching the tokens this identity provider issues for leaks: for the stock
	 * Spring Security side of a comparison, whose reactive token client logs whole token
	 * responses at TRACE. Our side must always run on a watched identity provider.
	 * @return this identity provider
	 */
	public TestIdentityProvider unwatched() {
		this.watched = false;
		return this;
	}

	/**
	 * Watch the tokens this identity provider issues for leaks again, after
	 * {@link #unwatched()}.
	 * @return this identity provider
	 */
	public TestIdentityProvider watched() {
		this.watched = true;
		return this;
	}

	private void watch(String token) {
		if (this.watched) {
			SecretLeakDetector.watch(token);
		}
	}

	public TestIdentityProvider() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		this.server.createContext("/token", this::token);
		this.server.createContext("/api", this::api);
		this.server.createContext("/elsewhere", this::elsewhere);
		this.server.createContext("/redirect", this::redirect);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	public String tokenUri() {
		return baseUrl() + "/token";
	}

	/**
	 * A registration of client {@code app} (secret {@code app-secret}) for scope
	 * {@code api.read} at this token endpoint, for tests that build a manager by hand.
	 * @param registrationId the registration id
	 * @param grantType the grant type
	 * @return the registration
	 */
	public ClientRegistration registration(String registrationId, AuthorizationGrantType grantType) {
		return ClientRegistration.withRegistrationId(registrationId)
			.clientId("app")
			.clientSecret("app-secret")
			.authorizationGrantType(grantType)
			.scope("api.read")
			.tokenUri(tokenUri())
			.build();
	}

	public String apiUri() {
		return baseUrl() + "/api";
	}

	public TestIdentityProvider shape(Shape shape) {
		this.shape = shape;
		return this;
	}

	public TestIdentityProvider lifetime(Duration lifetime) {
		this.lifetime = lifetime;
		return this;
	}

	/**
	 * Hold every token response until the returned latch is counted down.
	 * @return the latch that releases token responses
	 */
	public CountDownLatch holdTokenResponses() {
		CountDownLatch gate = new CountDownLatch(1);
		this.tokenGate.set(gate);
		return gate;
	}

	/**
	 * Hold the answer to the next token request only, until the returned latch is counted
	 * down; later requests are answered at once.
	 * @return the latch that releases that one token response
	 */
	public CountDownLatch holdNextTokenResponse() {
		CountDownLatch gate = new CountDownLatch(1);
		this.nextTokenGate.set(gate);
		return gate;
	}

	/**
	 * Answer the next {@code count} token requests with a 500.
	 * @param count how many token requests fail
	 */
	public void failTokenRequests(int count) {
		failTokenRequests(count, 500, Map.of());
	}

	/**
	 * Answer the next {@code count} token requests with an OAuth 2.0 error response.
	 * @param count how many token requests fail
	 * @param status the HTTP status
	 * @param errorCode the {@code error} of the response body
	 */
	public void failTokenRequests(int count, int status, String errorCode) {
		failTokenRequests(count, status, Map.of(), "{\"error\":\"" + errorCode + "\"}");
	}

	/**
	 * Answer the next {@code count} token requests with the given status and headers.
	 * @param count how many token requests fail
	 * @param status the status
	 * @param headers the response headers
	 */
	public void failTokenRequests(int count, int status, Map<String, String> headers) {
		failTokenRequests(count, status, headers, "{\"error\":\"server_error\"}");
	}

	/**
	 * Answer the next {@code count} token requests with the given status, headers and body.
	 * @param count how many token requests fail
	 * @param status the status
	 * @param headers the response headers
	 * @param body the response body
	 */
	public void failTokenRequests(int count, int status, Map<String, String> headers, String body) {
		this.failStatus.set(status);
		this.failHeaders = Map.copyOf(headers);
		this.failBody = body;
		this.failTokenRequests.set(count);
	}

	/**
	 * Close the connection of the next {@code count} token requests without an answer.
	 * @param count how many token requests are dropped
	 */
	public void dropTokenRequests(int count) {
		this.dropConnections.set(count);
	}

	/**
	 * Answer token requests with the body the template builds around a fresh token value,
	 * or with the normal body again when {@code null}.
	 * @param template builds the response body from the token value
	 * @return this identity provider
	 */
	public TestIdentityProvider tokenBody(@org.jspecify.annotations.Nullable Function<String, String> template) {
		this.tokenBody = template;
		return this;
	}

	/**
	 * Make the token values of custom bodies with the given supplier.
	 * @param values supplies token values
	 * @return this identity provider
	 */
	public TestIdentityProvider tokenValues(Supplier<String> values) {
		this.tokenValues = values;
		return this;
	}

	/**
	 * Return the {@code Authorization} headers {@code /elsewhere} received, one entry per
	 * call ({@code "<none>"} when a call had none).
	 * @return the headers
	 */
	public List<String> authorizationsElsewhere() {
		return this.authorizationsElsewhere;
	}

	public String elsewhereUri() {
		return baseUrl() + "/elsewhere";
	}

	/**
	 * Answer every API call with this status (0 for normal behaviour).
	 * @param status the status
	 */
	public void apiStatus(int status) {
		this.apiStatusOverride = status;
	}

	public void revoke(String token) {
		this.revoked.add(token);
	}

	public int tokenRequests() {
		return this.tokenRequests.get();
	}

	public int apiCalls() {
		return this.apiCalls.get();
	}

	public List<String> revokedTokensReceived() {
		return this.revokedTokensReceived;
	}

	public List<Map<String, String>> tokenRequestParameters() {
		return this.tokenRequestParameters;
	}

	public Set<String> issuedTokens() {
		return this.issued;
	}

	private void token(HttpExchange exchange) throws IOException {
		try (exchange) {
			Form form = form(exchange.getRequestBody());
			Map<String, String> parameters = form.parameters();
			String subjectToken = parameters.get("subject_token");
			if (subjectToken != null && this.watched) {
				SecretLeakDetector.watch(subjectToken);
			}
			this.tokenRequests.incrementAndGet();
			this.tokenRequestParameters.add(parameters);
			if (form.repeated()) {
				// As Keycloak and Spring Authorization Server do (RFC 6749 section 3.2).
				respond(exchange, 400, "{\"error\":\"invalid_request\",\"error_description\":\"duplicated parameter\"}",
						null);
				return;
			}
			await(this.tokenGate.get());
			CountDownLatch next = this.nextTokenGate.getAndSet(null);
			if (next != null) {
				await(next);
			}
			if (this.dropConnections.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
				// The JDK server closes the connection of a handler that throws, unanswered.
				throw new DroppedConnection();
			}
			if (this.failTokenRequests.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
				this.failHeaders.forEach(exchange.getResponseHeaders()::set);
				respond(exchange, this.failStatus.get(), this.failBody, null);
				return;
			}
			Function<String, String> template = this.tokenBody;
			if (template != null) {
				String token = this.tokenValues.get();
				watch(token);
				this.issued.add(token);
				respond(exchange, 200, template.apply(token), null);
				return;
			}
			Instant exp = Instant.now().plus(this.lifetime);
			String token = switch (this.shape) {
				case JWT_WITHOUT_EXPIRES_IN -> unsignedJwt(exp);
				default -> "opaque-" + UUID.randomUUID();
			};
			watch(token);
			this.issued.add(token);
			StringBuilder json = new StringBuilder("{\"access_token\":\"").append(token)
				.append("\",\"token_type\":\"Bearer\"");
			if (this.shape == Shape.EXPIRES_IN) {
				json.append(",\"expires_in\":").append(this.lifetime.toSeconds());
			}
			json.append('}');
			respond(exchange, 200, json.toString(), null);
		}
	}

	private void api(HttpExchange exchange) throws IOException {
		try (exchange) {
			this.apiCalls.incrementAndGet();
			exchange.getRequestBody().readAllBytes();
			if (this.apiStatusOverride != 0) {
				respond(exchange, this.apiStatusOverride, "{}", null);
				return;
			}
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			String token = (authorization != null && authorization.startsWith("Bearer "))
					? authorization.substring("Bearer ".length()) : null;
			if (token != null && this.revoked.contains(token)) {
				this.revokedTokensReceived.add(token);
			}
			if (token == null || !this.issued.contains(token) || this.revoked.contains(token)) {
				respond(exchange, 401, "{}", "Bearer error=\"invalid_token\", error_description=\"rejected\"");
				return;
			}
			respond(exchange, 200, "{\"ok\":true}", null);
		}
	}

	/**
	 * Return a URI on this server that redirects (302) to the given location.
	 * @param location where to redirect
	 * @return the URI
	 */
	public String redirectUri(String location) {
		return baseUrl() + "/redirect?to=" + java.net.URLEncoder.encode(location, StandardCharsets.UTF_8);
	}

	private void redirect(HttpExchange exchange) throws IOException {
		try (exchange) {
			exchange.getRequestBody().readAllBytes();
			String query = exchange.getRequestURI().getRawQuery();
			String location = URLDecoder.decode(query.substring("to=".length()), StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Location", location);
			exchange.sendResponseHeaders(302, -1);
		}
	}

	private void elsewhere(HttpExchange exchange) throws IOException {
		try (exchange) {
			this.callsElsewhere.incrementAndGet();
			exchange.getRequestBody().readAllBytes();
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			this.authorizationsElsewhere.add((authorization != null) ? authorization : "<none>");
			respond(exchange, 200, "{}", null);
		}
	}

	private static void respond(HttpExchange exchange, int status, String body, String wwwAuthenticate)
			throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		if (wwwAuthenticate != null) {
			exchange.getResponseHeaders().set("WWW-Authenticate", wwwAuthenticate);
		}
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	private static Form form(InputStream body) throws IOException {
		Map<String, String> parameters = new LinkedHashMap<>();
		boolean repeated = false;
		String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
		for (String pair : text.split("&")) {
			int equals = pair.indexOf('=');
			if (equals > 0) {
				String name = URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8);
				String value = URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
				repeated |= parameters.put(name, value) != null;
			}
		}
		return new Form(parameters, repeated);
	}

	/**
	 * The parameters of a form body (the last value of each) and whether a name occurred
	 * more than once.
	 */
	private record Form(Map<String, String> parameters, boolean repeated) {

	}

	/**
	 * Build an unsigned JWT ({@code alg: none}) with the given expiry.
	 * @param exp the expiry
	 * @return the JWT
	 */
	public static String unsignedJwt(Instant exp) {
		return unsignedJwt("\"exp\":" + exp.getEpochSecond());
	}

	/**
	 * Build an unsigned JWT ({@code alg: none}) with a random subject and the given raw
	 * claims (JSON members, or an empty string for none).
	 * @param claims the claims as JSON members, such as {@code "exp":"soon"}
	 * @return the JWT
	 */
	public static String unsignedJwt(String claims) {
		Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
		String header = encoder.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
		String payload = encoder.encodeToString(("{\"sub\":\"" + UUID.randomUUID() + "\""
				+ (claims.isEmpty() ? "" : "," + claims) + "}").getBytes(StandardCharsets.UTF_8));
		String jwt = header + "." + payload + ".";
		SecretLeakDetector.watch(jwt);
		return jwt;
	}

	private static void await(CountDownLatch gate) {
		try {
			if (!gate.await(30, TimeUnit.SECONDS)) {
				throw new IllegalStateException("Token gate was never opened");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Thrown by the token endpoint to drop a connection unanswered.
	 */
	private static final class DroppedConnection extends RuntimeException {

		DroppedConnection() {
			super("dropping the connection", null, false, false);
		}

	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
