package dev.dexpace.tokencache.benchmarks;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A token endpoint and an API on loopback, for the benchmarks: {@code POST /token} issues
 * opaque tokens with {@code expires_in}, after an optional delay, and counts requests;
 * {@code GET /api} answers 200 to any bearer token, and to a DPoP token with a proof.
 */
final class LocalIdentityProvider implements AutoCloseable {

	static {
		// Without it, the JDK server's header and body writes meet delayed ACKs on
		// loopback and every call takes some 40 ms.
		System.setProperty("sun.net.httpserver.nodelay", "true");
	}

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(64);

	private final AtomicInteger tokenRequests = new AtomicInteger();

	private volatile Duration lifetime = Duration.ofHours(1);

	private volatile Duration delay = Duration.ZERO;

	private volatile String tokenType = "Bearer";

	LocalIdentityProvider() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot start the local identity provider", ex);
		}
		this.server.createContext("/token", this::token);
		this.server.createContext("/api", this::api);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	String tokenUri() {
		return baseUrl() + "/token";
	}

	String apiUri() {
		return baseUrl() + "/api";
	}

	private String baseUrl() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	LocalIdentityProvider lifetime(Duration lifetime) {
		this.lifetime = lifetime;
		return this;
	}

	LocalIdentityProvider delay(Duration delay) {
		this.delay = delay;
		return this;
	}

	/**
	 * Issue tokens of this type ({@code Bearer} or {@code DPoP}).
	 * @param tokenType the token type of token responses
	 * @return this identity provider
	 */
	LocalIdentityProvider tokenType(String tokenType) {
		this.tokenType = tokenType;
		return this;
	}

	int tokenRequests() {
		return this.tokenRequests.get();
	}

	private void token(HttpExchange exchange) throws IOException {
		try (exchange) {
			exchange.getRequestBody().readAllBytes();
			this.tokenRequests.incrementAndGet();
			pause(this.delay);
			String body = "{\"access_token\":\"opaque-" + UUID.randomUUID()
					+ "\",\"token_type\":\"" + this.tokenType + "\",\"expires_in\":" + this.lifetime.toSeconds() + "}";
			respond(exchange, 200, body);
		}
	}

	private void api(HttpExchange exchange) throws IOException {
		try (exchange) {
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			// A DPoP call needs its proof; the proof is not verified here: the benchmarks
			// measure what the client does.
			boolean accepted = authorization != null && (authorization.startsWith("Bearer ")
					|| (authorization.startsWith("DPoP ") && exchange.getRequestHeaders().containsKey("DPoP")));
			respond(exchange, accepted ? 200 : 401, accepted ? "{\"ok\":true}" : "{}");
		}
	}

	private static void respond(HttpExchange exchange, int status, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	private static void pause(Duration delay) {
		if (delay.isZero()) {
			return;
		}
		try {
			Thread.sleep(delay.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
