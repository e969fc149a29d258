package dev.dexpace.tokencache.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;

/**
 * A real HTTP API for the 401 tests, on a loopback port, that records every request it
 * receives (body included, read to its end before answering). {@code /upload} answers
 * 401 {@code invalid_token} to the next {@link #rejectNext(int) n} requests and
 * {@code 201 Created} to the others; {@code /reject} always answers 401
 * {@code invalid_token}; {@code /redirect?to=…} answers 302 to the given location.
 */
final class RecordingApi implements AutoCloseable {

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(4);

	private final AtomicInteger rejectNext = new AtomicInteger();

	private final List<Received> received = new CopyOnWriteArrayList<>();

	RecordingApi() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		this.server.createContext("/upload", this::upload);
		this.server.createContext("/reject", this::reject);
		this.server.createContext("/redirect", this::redirect);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	String baseUrl() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	String uploadUri() {
		return baseUrl() + "/upload";
	}

	String rejectUri() {
		return baseUrl() + "/reject";
	}

	String redirectUri(String location) {
		return baseUrl() + "/redirect?to=" + URLEncoder.encode(location, StandardCharsets.UTF_8);
	}

	/**
	 * Answer the next {@code count} requests to {@code /upload} with a 401.
	 * @param count how many requests are rejected
	 */
	void rejectNext(int count) {
		this.rejectNext.set(count);
	}

	/**
	 * Return the requests received so far, in order.
	 * @return the requests
	 */
	List<Received> received() {
		return this.received;
	}

	private void upload(HttpExchange exchange) throws IOException {
		try (exchange) {
			record(exchange);
			if (this.rejectNext.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
				respond(exchange, 401, "Bearer error=\"invalid_token\"");
				return;
			}
			respond(exchange, 201, null);
		}
	}

	private void reject(HttpExchange exchange) throws IOException {
		try (exchange) {
			record(exchange);
			respond(exchange, 401, "Bearer error=\"invalid_token\"");
		}
	}

	private void redirect(HttpExchange exchange) throws IOException {
		try (exchange) {
			record(exchange);
			String query = exchange.getRequestURI().getRawQuery();
			exchange.getResponseHeaders()
				.set("Location", URLDecoder.decode(query.substring("to=".length()), StandardCharsets.UTF_8));
			exchange.sendResponseHeaders(302, -1);
		}
	}

	private void record(HttpExchange exchange) throws IOException {
		byte[] body = exchange.getRequestBody().readAllBytes();
		this.received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
				exchange.getRequestHeaders().getFirst("Authorization"),
				exchange.getRequestHeaders().getFirst("Content-Type"), body));
	}

	private static void respond(HttpExchange exchange, int status, @Nullable String challenge) throws IOException {
		byte[] bytes = "{}".getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		if (challenge != null) {
			exchange.getResponseHeaders().set("WWW-Authenticate", challenge);
		}
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	static String digest(byte[] bytes) {
		try {
			return bytes.length + " bytes, sha-256 "
					+ HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

	/**
	 * A request as the API received it.
	 *
	 * @param method the method
	 * @param path the path
	 * @param authorization the {@code Authorization} header, if any
	 * @param contentType the {@code Content-Type} header, if any
	 * @param body the body, read to its end
	 */
	record Received(String method, String path, @Nullable String authorization, @Nullable String contentType,
			byte[] body) {

		/**
		 * Return the length and SHA-256 of the body, to compare bodies without printing
		 * them.
		 * @return the digest
		 */
		String digest() {
			return RecordingApi.digest(this.body);
		}

		@Override
		public String toString() {
			// Never the Authorization header: it holds a token.
			return this.method + " " + this.path + " (" + this.body.length + " bytes, " + this.contentType + ")";
		}

	}

}
