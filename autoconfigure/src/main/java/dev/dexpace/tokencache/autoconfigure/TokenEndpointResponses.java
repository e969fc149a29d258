package dev.dexpace.tokencache.autoconfigure;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.dexpace.tokencache.oauth2.TokenEndpointBusyException;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.security.oauth2.client.http.OAuth2ErrorResponseErrorHandler;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.security.oauth2.core.http.converter.OAuth2AccessTokenResponseHttpMessageConverter;
import org.springframework.web.client.ResponseErrorHandler;

/**
 * Guards the token RestClient against a misbehaving token endpoint: every response body
 * is read up to {@link #MAX_BODY_BYTES} and no further; an error status becomes an
 * {@link OAuth2AuthorizationException} that names the status and {@code Retry-After} but
 * never quotes the body; a body that does not read becomes one that names what is wrong
 * but never quotes the body either. Response bodies are not quoted because a token
 * endpoint may echo what it was sent (a client secret, a subject token) or hold the very
 * token that failed to parse.
 */
final class TokenEndpointResponses {

	/**
	 * The most a token endpoint response body may hold: room for a token of several
	 * hundred kilobytes, not for an endless stream.
	 */
	static final int MAX_BODY_BYTES = 1 << 20;

	private static final String INVALID_TOKEN_RESPONSE = "invalid_token_response";

	private TokenEndpointResponses() {
	}

	/**
	 * Return an interceptor that bounds every response body and turns a timeout into an
	 * error that says so (the JDK client only says "Request cancelled").
	 * @param timeout the configured timeout, for the message
	 * @return the interceptor
	 */
	static ClientHttpRequestInterceptor guard(Duration timeout) {
		return (request, body, execution) -> {
			try {
				return new BoundedResponse(execution.execute(request, body));
			}
			catch (HttpTimeoutException | SocketTimeoutException ex) {
				throw timedOut(timeout);
			}
		};
	}

	static OAuth2AuthorizationException timedOut(Duration timeout) {
		return invalid("The token endpoint did not answer within " + timeout.toMillis()
				+ " ms (dexpace.token-cache.token-request-timeout); the request timed out");
	}

	/**
	 * Return the error handler of the token RestClient.
	 * @return the error handler
	 */
	static ResponseErrorHandler errorHandler() {
		return new ErrorHandler();
	}

	/**
	 * Wrap the converter that reads token responses so its failures never quote the body.
	 * @param delegate the converter
	 * @return the wrapped converter
	 */
	static HttpMessageConverter<OAuth2AccessTokenResponse> quiet(OAuth2AccessTokenResponseHttpMessageConverter delegate,
			Duration timeout) {
		return new QuietTokenResponseConverter(delegate, timeout);
	}

	private static OAuth2AuthorizationException invalid(String description) {
		return new OAuth2AuthorizationException(new OAuth2Error(INVALID_TOKEN_RESPONSE, description, null));
	}

	private static final class ErrorHandler implements ResponseErrorHandler {

		private final OAuth2ErrorResponseErrorHandler oauth2Errors = new OAuth2ErrorResponseErrorHandler();

		@Override
		public boolean hasError(ClientHttpResponse response) throws IOException {
			return response.getStatusCode().isError();
		}

		@Override
		public void handleError(URI url, HttpMethod method, ClientHttpResponse response) throws IOException {
			HttpStatusCode status = response.getStatusCode();
			if (status.value() == HttpStatus.BAD_REQUEST.value()) {
				// RFC 6749 section 5.2: an OAuth 2.0 error (invalid_grant, invalid_scope, ...)
				try {
					this.oauth2Errors.handleError(url, method, response);
				}
				catch (OAuth2AuthorizationException ex) {
					throw ex;
				}
				catch (IOException | RuntimeException ex) {
					// Not an OAuth 2.0 error body: the parser's message would quote it.
				}
			}
			String code = switch (status.value()) {
				case 400 -> OAuth2ErrorCodes.INVALID_REQUEST;
				case 401 -> OAuth2ErrorCodes.INVALID_CLIENT;
				case 503 -> OAuth2ErrorCodes.TEMPORARILY_UNAVAILABLE;
				default -> status.is5xxServerError() ? OAuth2ErrorCodes.SERVER_ERROR : INVALID_TOKEN_RESPONSE;
			};
			StringBuilder description = new StringBuilder("The token endpoint answered ").append(status.value());
			String retryAfter = response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER);
			if (retryAfter != null) {
				description.append(" (Retry-After: ").append(printable(retryAfter)).append(')');
			}
			OAuth2Error error = new OAuth2Error(code, description.toString(), null);
			Duration wait = TokenEndpointBusyException.parseRetryAfter(retryAfter, Instant.now());
			throw (wait != null) ? new TokenEndpointBusyException(error, wait) : new OAuth2AuthorizationException(error);
		}

		private static String printable(String value) {
			String trimmed = (value.length() > 40) ? value.substring(0, 40) + "..." : value;
			return trimmed.replaceAll("[^\\x20-\\x7E]", "?");
		}

	}

	private static final class QuietTokenResponseConverter implements HttpMessageConverter<OAuth2AccessTokenResponse> {

		private final OAuth2AccessTokenResponseHttpMessageConverter delegate;

		private final Duration timeout;

		QuietTokenResponseConverter(OAuth2AccessTokenResponseHttpMessageConverter delegate, Duration timeout) {
			this.delegate = delegate;
			this.timeout = timeout;
		}

		@Override
		public boolean canRead(Class<?> clazz, @Nullable MediaType mediaType) {
			return this.delegate.canRead(clazz, mediaType);
		}

		@Override
		public boolean canWrite(Class<?> clazz, @Nullable MediaType mediaType) {
			return false;
		}

		@Override
		public List<MediaType> getSupportedMediaTypes() {
			return this.delegate.getSupportedMediaTypes();
		}

		@Override
		public OAuth2AccessTokenResponse read(Class<? extends OAuth2AccessTokenResponse> clazz,
				HttpInputMessage inputMessage) throws IOException {
			try {
				return this.delegate.read(clazz, inputMessage);
			}
			catch (IOException | RuntimeException ex) {
				throw explain(ex, this.timeout);
			}
		}

		@Override
		public void write(OAuth2AccessTokenResponse t, @Nullable MediaType contentType, HttpOutputMessage outputMessage)
				throws HttpMessageNotWritableException {
			throw new HttpMessageNotWritableException("Token responses are only read");
		}

		/**
		 * Keep what is safe to show: our own rejections (their descriptions never quote the
		 * token), an oversized body, or the kind of parse failure; drop the rest, including
		 * the cause, whose message may quote the body.
		 */
		private static OAuth2AuthorizationException explain(Exception ex, Duration timeout) {
			boolean json = false;
			for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
				if (cause instanceof OAuth2AuthorizationException rejection) {
					return rejection;
				}
				if (cause instanceof HttpTimeoutException || cause instanceof SocketTimeoutException) {
					return timedOut(timeout);
				}
				if (cause instanceof BodyTooLargeException) {
					return invalid("The token response is larger than " + MAX_BODY_BYTES + " bytes");
				}
				String name = cause.getClass().getName();
				json |= name.startsWith("tools.jackson.") || name.startsWith("com.fasterxml.jackson.")
						|| name.startsWith("com.google.gson.");
				if (cause.getCause() == cause) {
					break;
				}
			}
			return invalid(json ? "The token response is not a valid JSON object"
					: "The token response could not be read (" + ex.getClass().getSimpleName() + ")");
		}

	}

	private static final class BoundedResponse implements ClientHttpResponse {

		private final ClientHttpResponse response;

		private @Nullable InputStream body;

		BoundedResponse(ClientHttpResponse response) {
			this.response = response;
		}

		@Override
		public HttpStatusCode getStatusCode() throws IOException {
			return this.response.getStatusCode();
		}

		@Override
		public String getStatusText() throws IOException {
			return this.response.getStatusText();
		}

		@Override
		public HttpHeaders getHeaders() {
			return this.response.getHeaders();
		}

		@Override
		public InputStream getBody() throws IOException {
			if (this.body == null) {
				// No early rejection on Content-Length: RestClient peeks at the body before any
				// converter reads it, and a failure there would lose the clear message.
				this.body = new BoundedInputStream(this.response.getBody());
			}
			return this.body;
		}

		@Override
		public void close() {
			this.response.close();
		}

	}

	private static final class BoundedInputStream extends FilterInputStream {

		private long remaining = MAX_BODY_BYTES;

		BoundedInputStream(InputStream in) {
			super(in);
		}

		@Override
		public int read() throws IOException {
			int b = super.read();
			if (b >= 0) {
				count(1);
			}
			return b;
		}

		@Override
		public int read(byte[] b, int off, int len) throws IOException {
			int n = super.read(b, off, (int) Math.min(len, this.remaining + 1));
			if (n > 0) {
				count(n);
			}
			return n;
		}

		@Override
		public long skip(long n) throws IOException {
			long skipped = super.skip(Math.min(n, this.remaining + 1));
			count(skipped);
			return skipped;
		}

		private void count(long n) throws BodyTooLargeException {
			this.remaining -= n;
			if (this.remaining < 0) {
				throw new BodyTooLargeException();
			}
		}

	}

	/**
	 * Thrown when a token endpoint response body exceeds {@link #MAX_BODY_BYTES}.
	 */
	static final class BodyTooLargeException extends IOException {

		BodyTooLargeException() {
			super("The token endpoint response is larger than " + MAX_BODY_BYTES + " bytes");
		}

	}

}
