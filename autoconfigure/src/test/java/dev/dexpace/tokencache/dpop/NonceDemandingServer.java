package dev.dexpace.tokencache.dpop;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

/**
 * An identity provider and a resource server on one JDK HTTP server that both demand a
 * DPoP nonce (RFC 9449 sections 8 and 9), which Spring's do not: a proof without the
 * current nonce gets {@code use_dpop_nonce} and the nonce in {@code DPoP-Nonce}. Every
 * proof is verified: signature against its own {@code jwk}, {@code typ}, {@code htm},
 * {@code htu}, a {@code jti} not seen before, and on the API {@code ath} of the token and
 * the thumbprint the token was bound to. A token issued as a DPoP token is refused when
 * it comes as a {@code Bearer} token, as Spring Security's resource server refuses that
 * downgrade.
 */
public final class NonceDemandingServer implements AutoCloseable {

	static final String IDP_NONCE = "idp-nonce-1";

	static final String API_NONCE = "api-nonce-1";

	private volatile String apiNonce = API_NONCE;

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(8);

	private final AtomicInteger tokenRequests = new AtomicInteger();

	private final AtomicInteger apiRequests = new AtomicInteger();

	private final AtomicInteger apiAccepted = new AtomicInteger();

	private final Set<String> jtis = ConcurrentHashMap.newKeySet();

	private final List<String> problems = new CopyOnWriteArrayList<>();

	private final ConcurrentHashMap<String, String> boundTokens = new ConcurrentHashMap<>();

	private final Set<String> bearerTokens = ConcurrentHashMap.newKeySet();

	private final Set<String> revokedTokens = ConcurrentHashMap.newKeySet();

	private volatile String tokenType = "DPoP";

	public NonceDemandingServer() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
		this.server.createContext("/token", this::token);
		this.server.createContext("/api", this::api);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	public String uri(String path) {
		return "http://127.0.0.1:" + this.server.getAddress().getPort() + path;
	}

	/**
	 * Issue tokens of this type from now on, bound or not.
	 */
	void issue(String tokenType) {
		this.tokenType = tokenType;
	}

	/**
	 * Reject every token issued so far with {@code 401 WWW-Authenticate: DPoP
	 * error="invalid_token"} from now on.
	 */
	public void revokeAll() {
		this.revokedTokens.addAll(this.boundTokens.keySet());
	}

	/**
	 * Demand a new nonce of the resource server from now on, as a server that rotates its
	 * nonces does.
	 */
	void rotateApiNonce() {
		this.apiNonce = "api-nonce-" + UUID.randomUUID();
	}

	private void token(HttpExchange exchange) throws IOException {
		try (exchange) {
			this.tokenRequests.incrementAndGet();
			exchange.getRequestBody().readAllBytes();
			String proof = exchange.getRequestHeaders().getFirst("DPoP");
			if (proof == null) {
				respond(exchange, 400, "{\"error\":\"invalid_dpop_proof\"}");
				return;
			}
			Verified verified = verify(proof, "POST", uri("/token"), null);
			if (verified == null) {
				respond(exchange, 400, "{\"error\":\"invalid_dpop_proof\"}");
				return;
			}
			if (!IDP_NONCE.equals(verified.nonce())) {
				exchange.getResponseHeaders().set("DPoP-Nonce", IDP_NONCE);
				respond(exchange, 400,
						"{\"error\":\"use_dpop_nonce\",\"error_description\":\"Authorization server requires nonce in DPoP proof\"}");
				return;
			}
			String token = "at-" + UUID.randomUUID();
			this.boundTokens.put(token, verified.thumbprint());
			if (!"DPoP".equals(this.tokenType)) {
				this.bearerTokens.add(token);
			}
			respond(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"" + this.tokenType
					+ "\",\"expires_in\":3600}");
		}
	}

	private void api(HttpExchange exchange) throws IOException {
		try (exchange) {
			this.apiRequests.incrementAndGet();
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			if (authorization != null && authorization.startsWith("Bearer ")) {
				if (!this.bearerTokens.contains(authorization.substring("Bearer ".length()))) {
					this.problems.add("a DPoP token sent as a Bearer token");
					exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
					respond(exchange, 401, "");
					return;
				}
				this.apiAccepted.incrementAndGet();
				respond(exchange, 200, "{}");
				return;
			}
			String proof = exchange.getRequestHeaders().getFirst("DPoP");
			if (authorization == null || !authorization.startsWith("DPoP ") || proof == null) {
				this.problems.add("a call without a DPoP token and proof");
				exchange.getResponseHeaders().set("WWW-Authenticate", "DPoP error=\"invalid_token\"");
				respond(exchange, 401, "");
				return;
			}
			String token = authorization.substring("DPoP ".length());
			Verified verified = verify(proof, exchange.getRequestMethod(), uri(exchange.getRequestURI().getRawPath()),
					token);
			if (verified == null || !verified.thumbprint().equals(this.boundTokens.get(token))) {
				this.problems.add("a proof that does not verify or a token bound to another key");
				exchange.getResponseHeaders().set("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\"");
				respond(exchange, 401, "");
				return;
			}
			if (this.revokedTokens.contains(token)) {
				exchange.getResponseHeaders().set("WWW-Authenticate", "DPoP error=\"invalid_token\"");
				respond(exchange, 401, "");
				return;
			}
			String nonce = this.apiNonce;
			if (!nonce.equals(verified.nonce())) {
				exchange.getResponseHeaders().set("DPoP-Nonce", nonce);
				exchange.getResponseHeaders()
					.set("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce\"");
				respond(exchange, 401, "");
				return;
			}
			this.apiAccepted.incrementAndGet();
			respond(exchange, 200, "{}");
		}
	}

	private @Nullable Verified verify(String proof, String method, String htu, @Nullable String token) {
		try {
			SignedJWT jwt = SignedJWT.parse(proof);
			JWK jwk = jwt.getHeader().getJWK();
			if (jwk == null || jwk.isPrivate() || !new JOSEObjectType("dpop+jwt").equals(jwt.getHeader().getType())
					|| !jwt.verify(new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(),
							jwk.toECKey().toPublicKey()))) {
				this.problems.add("a proof with a bad header or signature");
				return null;
			}
			JWTClaimsSet claims = jwt.getJWTClaimsSet();
			if (!method.equals(claims.getStringClaim("htm")) || !htu.equals(claims.getStringClaim("htu"))
					|| claims.getIssueTime() == null) {
				this.problems.add("a proof for " + claims.getStringClaim("htm") + " " + claims.getStringClaim("htu"));
				return null;
			}
			if (!this.jtis.add(claims.getJWTID())) {
				this.problems.add("a proof sent twice");
				return null;
			}
			if (token != null && !DPoPProofs.ath(token).equals(claims.getStringClaim("ath"))) {
				this.problems.add("a proof whose ath is not the token's");
				return null;
			}
			return new Verified(claims.getStringClaim("nonce"), jwk.computeThumbprint().toString());
		}
		catch (Exception ex) {
			this.problems.add("a proof that does not parse: " + ex);
			return null;
		}
	}

	private static void respond(HttpExchange exchange, int status, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, (bytes.length == 0) ? -1 : bytes.length);
		if (bytes.length > 0) {
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
			}
		}
	}

	/**
	 * Call {@code GET /api/orders} through a client, for registration {@code idp}.
	 * @param client the client
	 * @return the status of the response
	 */
	public int getOrders(RestClient client) {
		return client.get()
			.uri(uri("/api/orders"))
			.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("idp"))
			.retrieve()
			.toBodilessEntity()
			.getStatusCode()
			.value();
	}

	public int tokenRequests() {
		return this.tokenRequests.get();
	}

	public int apiRequests() {
		return this.apiRequests.get();
	}

	public int apiAccepted() {
		return this.apiAccepted.get();
	}

	public List<String> problems() {
		return this.problems;
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

	private record Verified(@Nullable String nonce, String thumbprint) {

	}

}
