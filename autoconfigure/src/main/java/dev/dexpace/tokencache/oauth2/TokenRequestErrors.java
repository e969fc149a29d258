package dev.dexpace.tokencache.oauth2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpStatusCodeException;
import org.springframework.web.client.RestClientException;

/**
 * Tells a token request that may succeed when tried again (the identity provider is down,
 * slow or overloaded) from one that never will until someone changes the configuration
 * (wrong client secret, unknown scope).
 */
final class TokenRequestErrors {

	/**
	 * The error codes of RFC 6749 section 5.2: each says the request itself is wrong.
	 */
	private static final Set<String> PERMANENT = Set.of(OAuth2ErrorCodes.INVALID_REQUEST,
			OAuth2ErrorCodes.INVALID_CLIENT, OAuth2ErrorCodes.INVALID_GRANT, OAuth2ErrorCodes.UNAUTHORIZED_CLIENT,
			OAuth2ErrorCodes.UNSUPPORTED_GRANT_TYPE, OAuth2ErrorCodes.INVALID_SCOPE);

	private TokenRequestErrors() {
	}

	/**
	 * Return whether trying the same token request again cannot help.
	 * @param failure what the token request threw
	 * @return {@code true} for an error the identity provider will answer again, such as
	 * {@code invalid_client}, and for an error that is not the identity provider's at all
	 * (a programming or configuration error, such as a delegate manager that needs a
	 * servlet request it does not have); {@code false} for server errors, timeouts and
	 * I/O errors
	 */
	static boolean isPermanent(Throwable failure) {
		boolean fromTheIdentityProvider = false;
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof OAuth2AuthorizationException oauth2) {
				if (PERMANENT.contains(oauth2.getError().getErrorCode())) {
					return true;
				}
				// Another code (server_error, invalid_token_response): the status or I/O
				// error it wraps, if any, decides.
				fromTheIdentityProvider = true;
			}
			if (cause instanceof HttpClientErrorException status) {
				// 401 and 403 from a token endpoint mean bad client credentials; 408 and
				// 429 ask to come back later.
				int code = status.getStatusCode().value();
				return code != 408 && code != 429;
			}
			fromTheIdentityProvider |= isTransport(cause);
			if (cause.getCause() == cause) {
				break;
			}
		}
		return !fromTheIdentityProvider;
	}

	/**
	 * Return whether a failure comes from the identity provider or the way to it (an
	 * OAuth 2.0 error, an HTTP status, I/O, a timeout), rather than from the code that
	 * asked (a programming or configuration error).
	 * @param failure what the token request threw
	 * @return whether the identity provider is concerned
	 */
	static boolean isFromTheIdentityProvider(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof OAuth2AuthorizationException || cause instanceof HttpStatusCodeException
					|| isTransport(cause)) {
				return true;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return false;
	}

	/**
	 * Return the OAuth 2.0 error code of a failure.
	 * @param failure what the token request threw
	 * @return the code of the first OAuth 2.0 error among the causes, or {@code null}
	 */
	static @Nullable String errorCode(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof OAuth2AuthorizationException oauth2) {
				return oauth2.getError().getErrorCode();
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return null;
	}

	/**
	 * Whether a failure comes from talking to the identity provider (I/O, a timeout, an
	 * HTTP client or a full pool of our own), rather than from the code that asked. The
	 * WebClient and Netty types are matched by name: WebFlux is optional.
	 */
	private static boolean isTransport(Throwable cause) {
		if (cause instanceof IOException || cause instanceof UncheckedIOException || cause instanceof TimeoutException
				|| cause instanceof RestClientException || cause instanceof TokenEndpointBusyException
				|| cause instanceof RejectedExecutionException || cause instanceof CancellationException) {
			return true;
		}
		String type = cause.getClass().getName();
		return type.startsWith("org.springframework.web.") || type.startsWith("io.netty.")
				|| type.startsWith("reactor.netty.");
	}

	/**
	 * Return how long the identity provider asked to wait before the next token request,
	 * from a {@link TokenEndpointBusyException} or an HTTP error with a
	 * {@code Retry-After} header among the causes.
	 * @param failure what the token request threw
	 * @param now the current time, for a {@code Retry-After} that is a date
	 * @return the wait in milliseconds, {@code 0} when none was asked for
	 */
	static long retryAfterMillis(Throwable failure, Instant now) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof TokenEndpointBusyException busy) {
				return busy.getRetryAfter().toMillis();
			}
			if (cause instanceof HttpStatusCodeException status && status.getResponseHeaders() != null) {
				Duration retryAfter = TokenEndpointBusyException.parseRetryAfter(status.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER), now);
				return (retryAfter != null) ? retryAfter.toMillis() : 0;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return 0;
	}

	/**
	 * Describe a token request failure by its OAuth 2.0 error code or exception type only:
	 * messages may quote what the identity provider sent.
	 * @param failure what the token request threw
	 * @return the description
	 */
	static String describe(Throwable failure) {
		if (failure instanceof OAuth2AuthorizationException oauth2) {
			return oauth2.getError().getErrorCode();
		}
		return failure.getClass().getSimpleName();
	}

}
