package dev.dexpace.tokencache.endpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dexpace.tokencache.test.SecretLeakDetector;
import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.core.ClientAuthenticationMethod;

/**
 * A real token endpoint ({@code POST /token} on a loopback port) that authenticates its
 * one client strictly, as an identity provider does: {@code client_secret_basic} only
 * with the form-encoded credentials in {@code Authorization: Basic} and no secret in the
 * form, {@code client_secret_post} only with {@code client_id} and {@code client_secret}
 * in the form and no {@code Authorization} header, {@code private_key_jwt} only with a
 * {@code client_assertion} whose RS256 signature verifies with the client's public key and
 * whose {@code iss} and {@code sub} are the client id, {@code aud} this token endpoint,
 * {@code exp} ahead and {@code jti} present, and {@code none} only with {@code client_id}
 * and no credential at all. Any other request is answered
 * {@code 401 invalid_client}. A repeated form parameter is answered
 * {@code 400 invalid_request}.
 * <p>
 * For fault tests it can answer every token request with a given status, headers and
 * body, or drop the connection unanswered. Every token it issues and every secret it
 * checks is watched by {@link SecretLeakDetector}.
 */
final class StrictTokenEndpoint implements AutoCloseable {

	static final String CLIENT_ID = "strict-client";

	static final String JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(4);

	private final ClientAuthenticationMethod method;

	private final String clientSecret;

	private final @Nullable RSAPublicKey publicKey;

	private final AtomicInteger tokenRequests = new AtomicInteger();

	private final List<Map<String, String>> forms = new CopyOnWriteArrayList<>();

	private final Set<String> issued = ConcurrentHashMap.newKeySet();

	private volatile @Nullable Answer answer;

	private volatile boolean drop;

	/**
	 * Start a token endpoint for a client that authenticates with a secret or none.
	 * @param method the client's authentication method
	 * @param clientSecret its secret (ignored for {@code none})
	 */
	StrictTokenEndpoint(ClientAuthenticationMethod method, String clientSecret) {
		this(method, clientSecret, null);
	}

	/**
	 * Start a token endpoint.
	 * @param method the client's authentication method
	 * @param clientSecret its secret (ignored for {@code none} and {@code private_key_jwt})
	 * @param publicKey its public key, for {@code private_key_jwt}
	 */
	StrictTokenEndpoint(ClientAuthenticationMethod method, String clientSecret, @Nullable RSAPublicKey publicKey) {
		this.method = method;
		this.clientSecret = clientSecret;
		this.publicKey = publicKey;
		SecretLeakDetector.watch(clientSecret);
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		this.server.createContext("/token", this::token);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	String tokenUri() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort() + "/token";
	}

	int tokenRequests() {
		return this.tokenRequests.get();
	}

	List<Map<String, String>> forms() {
		return this.forms;
	}

	Set<String> issuedTokens() {
		return this.issued;
	}

	/**
	 * Answer every token request with this status, these headers and this body.
	 */
	void answer(int status, Map<String, String> headers, String body) {
		this.answer = new Answer(status, Map.copyOf(headers), body);
	}

	/**
	 * Close the connection of every token request unanswered.
	 */
	void dropConnections() {
		this.drop = true;
	}

	private void token(HttpExchange exchange) throws IOException {
		try (exchange) {
			this.tokenRequests.incrementAndGet();
			Map<String, String> form = new LinkedHashMap<>();
			boolean repeated = false;
			String text = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			for (String pair : text.split("&")) {
				int equals = pair.indexOf('=');
				if (equals > 0) {
					repeated |= form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
							URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8)) != null;
				}
			}
			String subjectToken = form.get("subject_token");
			if (subjectToken != null) {
				SecretLeakDetector.watch(subjectToken);
			}
			this.forms.add(form);
			if (this.drop) {
				throw new IllegalStateException("dropping the connection");
			}
			Answer fixed = this.answer;
			if (fixed != null) {
				fixed.headers().forEach(exchange.getResponseHeaders()::set);
				respond(exchange, fixed.status(), fixed.body());
				return;
			}
			if (repeated) {
				respond(exchange, 400, "{\"error\":\"invalid_request\",\"error_description\":\"duplicated parameter\"}");
				return;
			}
			String failure = authenticate(exchange.getRequestHeaders().getFirst("Authorization"), form);
			if (failure != null) {
				respond(exchange, 401, "{\"error\":\"invalid_client\",\"error_description\":\"" + failure + "\"}");
				return;
			}
			String token = "strict-" + UUID.randomUUID();
			SecretLeakDetector.watch(token);
			this.issued.add(token);
			respond(exchange, 200,
					"{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":600}");
		}
	}

	/**
	 * Check the client's credentials.
	 * @return why they are rejected, or {@code null} if they are accepted
	 */
	private @Nullable String authenticate(@Nullable String authorization, Map<String, String> form) {
		String formClientId = form.get("client_id");
		if (ClientAuthenticationMethod.CLIENT_SECRET_BASIC.equals(this.method)) {
			String expected = "Basic " + Base64.getEncoder()
				.encodeToString((encode(CLIENT_ID) + ":" + encode(this.clientSecret)).getBytes(StandardCharsets.UTF_8));
			if (!expected.equals(authorization)) {
				return "client_secret_basic: wrong or missing Authorization header";
			}
			return noneOf(form, "client_secret", "client_assertion");
		}
		if (authorization != null) {
			return "unexpected Authorization header";
		}
		if (ClientAuthenticationMethod.CLIENT_SECRET_POST.equals(this.method)) {
			if (!CLIENT_ID.equals(formClientId) || !this.clientSecret.equals(form.get("client_secret"))) {
				return "client_secret_post: wrong or missing client_id or client_secret";
			}
			return noneOf(form, "client_assertion");
		}
		if (ClientAuthenticationMethod.PRIVATE_KEY_JWT.equals(this.method)) {
			if (formClientId != null && !CLIENT_ID.equals(formClientId)) {
				return "private_key_jwt: wrong client_id";
			}
			if (!JWT_BEARER_ASSERTION.equals(form.get("client_assertion_type"))) {
				return "private_key_jwt: wrong or missing client_assertion_type";
			}
			String assertion = form.get("client_assertion");
			if (assertion == null || !verifies(assertion)) {
				return "private_key_jwt: client_assertion missing or not valid";
			}
			return noneOf(form, "client_secret");
		}
		if (ClientAuthenticationMethod.NONE.equals(this.method)) {
			if (!CLIENT_ID.equals(formClientId)) {
				return "none: wrong or missing client_id";
			}
			return noneOf(form, "client_secret", "client_assertion");
		}
		return "unsupported client authentication method";
	}

	private boolean verifies(String assertion) {
		RSAPublicKey key = this.publicKey;
		if (key == null) {
			return false;
		}
		try {
			SignedJWT jwt = SignedJWT.parse(assertion);
			if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(new RSASSAVerifier(key))) {
				return false;
			}
			JWTClaimsSet claims = jwt.getJWTClaimsSet();
			return CLIENT_ID.equals(claims.getIssuer()) && CLIENT_ID.equals(claims.getSubject())
					&& claims.getAudience().contains(tokenUri()) && claims.getExpirationTime() != null
					&& claims.getExpirationTime().toInstant().isAfter(Instant.now()) && claims.getJWTID() != null;
		}
		catch (ParseException | JOSEException ex) {
			return false;
		}
	}

	private static @Nullable String noneOf(Map<String, String> form, String... names) {
		for (String name : names) {
			if (form.containsKey(name)) {
				return "unexpected " + name;
			}
		}
		return null;
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

	private static void respond(HttpExchange exchange, int status, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
			exchange.getResponseHeaders().set("Content-Type", "application/json");
		}
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

	private record Answer(int status, Map<String, String> headers, String body) {

	}

}
