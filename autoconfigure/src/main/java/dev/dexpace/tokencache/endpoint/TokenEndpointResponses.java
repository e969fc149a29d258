package dev.dexpace.tokencache.endpoint;

import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;

/**
 * What a token endpoint response means, decided once for the RestClient and the WebClient
 * token clients, which only carry the status, headers and body bytes here: a body is read
 * up to {@link #MAX_BODY_BYTES}; a status other than 2xx becomes an
 * {@link OAuth2AuthorizationException} with the code and description of the OAuth 2.0
 * error the endpoint sent, or else a code for the status and a description that names it,
 * and a {@link TokenEndpointBusyException} when the endpoint sent {@code Retry-After}; a
 * success body becomes a token response through the
 * {@link ExpiryResolvingTokenResponseConverter}. No message ever quotes a body: a token
 * endpoint may echo what it was sent (a client secret, a subject token), and a success
 * body holds the very token that failed to parse.
 */
final class TokenEndpointResponses {

	/**
	 * The most a token endpoint response body may hold: room for a token of several
	 * hundred kilobytes, not for an endless stream.
	 */
	static final int MAX_BODY_BYTES = 1 << 20;

	// Spring Security's message for a token response without a body.
	static final String EMPTY = "Empty OAuth 2.0 Access Token Response";

	private static final String INVALID_TOKEN_RESPONSE = ExpiryResolvingTokenResponseConverter.INVALID_TOKEN_RESPONSE;

	// The longest error code, description or URI passed on.
	private static final int MAX_DESCRIPTION = 256;

	private final ExpiryResolvingTokenResponseConverter converter;

	private final Duration timeout;

	private final Clock clock;

	TokenEndpointResponses(ExpiryResolvingTokenResponseConverter converter, Duration timeout, Clock clock) {
		this.converter = converter;
		this.timeout = timeout;
		this.clock = clock;
	}

	/**
	 * Read a token endpoint response.
	 * @param status the status
	 * @param headers the headers
	 * @param body the body, at most {@link #MAX_BODY_BYTES}
	 * @return the token response
	 * @throws OAuth2AuthorizationException for an error status or a body with no usable
	 * token
	 */
	OAuth2AccessTokenResponse read(HttpStatusCode status, HttpHeaders headers, byte[] body) {
		if (!status.is2xxSuccessful()) {
			throw error(status, headers, body);
		}
		if (body.length == 0) {
			throw invalid(EMPTY);
		}
		Map<String, Object> parameters = parse(body);
		if (parameters == null) {
			throw invalid("The token response is not a valid JSON object");
		}
		OAuth2Error sent = oauth2Error(parameters);
		if (sent != null) {
			throw new OAuth2AuthorizationException(sent);
		}
		try {
			return this.converter.convert(parameters);
		}
		catch (OAuth2AuthorizationException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			// The message of a conversion failure may quote the token.
			throw invalid("The token response could not be read (" + ex.getClass().getSimpleName() + ")");
		}
	}

	/**
	 * Return the error for a status other than 2xx.
	 * @param status the status
	 * @param headers the headers, for {@code Retry-After}
	 * @param body the body, at most {@link #MAX_BODY_BYTES}
	 * @return the error, a {@link TokenEndpointBusyException} when the endpoint sent a
	 * {@code Retry-After} that reads
	 */
	OAuth2AuthorizationException error(HttpStatusCode status, HttpHeaders headers, byte[] body) {
		Map<String, Object> parameters = parse(body);
		OAuth2Error sent = (parameters != null) ? oauth2Error(parameters) : null;
		String retryAfter = headers.getFirst(HttpHeaders.RETRY_AFTER);
		String code;
		if (sent != null && status.is4xxClientError()) {
			// RFC 6749 section 5.2: the endpoint says what is wrong with the request.
			code = sent.getErrorCode();
		}
		else {
			code = switch (status.value()) {
				case 400 -> OAuth2ErrorCodes.INVALID_REQUEST;
				case 401 -> OAuth2ErrorCodes.INVALID_CLIENT;
				// A client the endpoint refuses (disabled, or a gateway's block): it will
				// refuse it again, as RFC 6749's unauthorized_client says.
				case 403 -> OAuth2ErrorCodes.UNAUTHORIZED_CLIENT;
				case 503 -> OAuth2ErrorCodes.TEMPORARILY_UNAVAILABLE;
				default -> status.is5xxServerError() ? OAuth2ErrorCodes.SERVER_ERROR : INVALID_TOKEN_RESPONSE;
			};
		}
		String description = (sent != null) ? sent.getDescription() : null;
		if (description == null) {
			StringBuilder answered = new StringBuilder("The token endpoint answered ").append(status.value());
			if (retryAfter != null) {
				answered.append(" (Retry-After: ").append(printable(retryAfter, 40)).append(')');
			}
			description = answered.toString();
		}
		OAuth2Error error = new OAuth2Error(code, description, (sent != null) ? sent.getUri() : null);
		Duration wait = TokenEndpointBusyException.parseRetryAfter(retryAfter, this.clock.instant());
		return (wait != null) ? new TokenEndpointBusyException(error, wait) : new OAuth2AuthorizationException(error);
	}

	OAuth2AuthorizationException timedOut() {
		return invalid("The token endpoint did not answer within " + this.timeout.toMillis()
				+ " ms (dexpace.token-cache.token-request-timeout), or within a shorter connect or read timeout of"
				+ " spring.http.clients; the request timed out");
	}

	/**
	 * The error of a token request that timed out, could not reach the token endpoint or
	 * lost the connection, the same for both clients; the I/O error is kept as the cause.
	 */
	OAuth2AuthorizationException transportFailed(Throwable failure) {
		Throwable cause = failure;
		for (int depth = 0; cause != null && depth < 10; cause = cause.getCause(), depth++) {
			if (cause instanceof HttpTimeoutException || cause instanceof SocketTimeoutException
					|| cause instanceof TimeoutException) {
				return timedOut();
			}
		}
		for (Throwable tls = failure; tls != null; tls = tls.getCause()) {
			if (tls instanceof SSLException) {
				// Most often: no client certificate where the endpoint requires one, or a
				// server certificate the trust store does not trust.
				return new OAuth2AuthorizationException(new OAuth2Error(INVALID_TOKEN_RESPONSE,
						"TLS with the token endpoint failed (" + tls.getClass().getSimpleName()
								+ "): does the SSL bundle of the registration (dexpace.token-cache.registration.<id>.ssl-bundle,"
								+ " or spring.http.clients.ssl.bundle) trust the endpoint's certificate, and hold the client"
								+ " certificate the endpoint requires?",
						null), failure);
			}
		}
		return new OAuth2AuthorizationException(new OAuth2Error(INVALID_TOKEN_RESPONSE,
				"I/O error on the token request (" + failure.getClass().getSimpleName()
						+ "): the token endpoint could not be reached or closed the connection (an HTTPS endpoint that requires"
						+ " a client certificate closes it when none is presented: see the registration's ssl-bundle)",
				null), failure);
	}

	OAuth2AuthorizationException tooLarge() {
		return invalid("The token response is larger than " + MAX_BODY_BYTES + " bytes");
	}

	private static @Nullable Map<String, Object> parse(byte[] body) {
		if (body.length == 0) {
			return null;
		}
		try {
			return JSONObjectUtils.parse(new String(body, StandardCharsets.UTF_8));
		}
		catch (ParseException | RuntimeException ex) {
			return null;
		}
	}

	/**
	 * The OAuth 2.0 error of a response body (RFC 6749 section 5.2): an {@code error} of
	 * printable ASCII without quotes or backslashes, as the RFC allows, with the
	 * {@code error_description} and {@code error_uri} the endpoint sent.
	 */
	private static @Nullable OAuth2Error oauth2Error(Map<String, Object> parameters) {
		if (!(parameters.get(OAuth2ParameterNames.ERROR) instanceof String code) || code.isEmpty()
				|| code.length() > MAX_DESCRIPTION || !code.chars().allMatch(TokenEndpointResponses::isErrorChar)) {
			return null;
		}
		String description = (parameters.get(OAuth2ParameterNames.ERROR_DESCRIPTION) instanceof String text
				&& !text.isBlank()) ? printable(text, MAX_DESCRIPTION) : null;
		String uri = (parameters.get(OAuth2ParameterNames.ERROR_URI) instanceof String text && !text.isBlank())
				? printable(text, MAX_DESCRIPTION) : null;
		return new OAuth2Error(code, description, uri);
	}

	private static boolean isErrorChar(int c) {
		return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
	}

	private static String printable(String value, int max) {
		String trimmed = (value.length() > max) ? value.substring(0, max) + "..." : value;
		return trimmed.replaceAll("[^\\x20-\\x7E]", "?");
	}

	private static OAuth2AuthorizationException invalid(String description) {
		return new OAuth2AuthorizationException(new OAuth2Error(INVALID_TOKEN_RESPONSE, description, null));
	}

}
