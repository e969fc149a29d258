package dev.dexpace.tokencache.endpoint;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.util.Assert;

/**
 * The token endpoint answered with an error and a {@code Retry-After} header (RFC 9110
 * section 10.2.3), typically a 503 or a 429: it asked to be left alone for a while. The
 * cache's background refresh waits at least that long before it asks again.
 *
 * @since 0.1.0
 */
public class TokenEndpointBusyException extends OAuth2AuthorizationException {

	/**
	 * The longest wait honoured: a {@code Retry-After} further out is read as this.
	 */
	public static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

	private final Duration retryAfter;

	/**
	 * Create an exception.
	 * @param error the OAuth 2.0 error the response stands for
	 * @param retryAfter how long the token endpoint asked to wait; not negative, bounded
	 * by {@link #MAX_RETRY_AFTER}
	 */
	public TokenEndpointBusyException(OAuth2Error error, Duration retryAfter) {
		super(error);
		Assert.isTrue(!retryAfter.isNegative(), "retryAfter must not be negative");
		this.retryAfter = (retryAfter.compareTo(MAX_RETRY_AFTER) > 0) ? MAX_RETRY_AFTER : retryAfter;
	}

	/**
	 * Return how long the token endpoint asked to wait before the next request.
	 * @return the wait, at most {@link #MAX_RETRY_AFTER}
	 */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

	/**
	 * Read a {@code Retry-After} header value: delay seconds or an HTTP date.
	 * @param value the header value, if any
	 * @param now the current time
	 * @return the wait, at most {@link #MAX_RETRY_AFTER}, or
	 * {@code null} when there is no value or it does not read
	 */
	public static @Nullable Duration parseRetryAfter(@Nullable String value, Instant now) {
		if (value == null || value.isBlank()) {
			return null;
		}
		String trimmed = value.trim();
		Duration wait;
		if (trimmed.chars().allMatch((c) -> c >= '0' && c <= '9')) {
			wait = (trimmed.length() > 9) ? MAX_RETRY_AFTER : Duration.ofSeconds(Long.parseLong(trimmed));
		}
		else {
			try {
				Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
				wait = at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
			}
			catch (DateTimeParseException ex) {
				return null;
			}
		}
		return (wait.compareTo(MAX_RETRY_AFTER) > 0) ? MAX_RETRY_AFTER : wait;
	}

}
