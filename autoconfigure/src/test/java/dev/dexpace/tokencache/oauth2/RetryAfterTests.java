package dev.dexpace.tokencache.oauth2;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.web.client.HttpServerErrorException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Retry-After} from a token endpoint: how it is read, where it is found, and that
 * a background refresh waits at least that long.
 */
class RetryAfterTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

	@Test
	void readsDelaySecondsAndHttpDates() {
		assertThat(TokenEndpointBusyException.parseRetryAfter("30", NOW)).isEqualTo(Duration.ofSeconds(30));
		assertThat(TokenEndpointBusyException.parseRetryAfter(" 0 ", NOW)).isZero();
		String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atOffset(ZoneOffset.UTC));
		assertThat(TokenEndpointBusyException.parseRetryAfter(date, NOW)).isEqualTo(Duration.ofSeconds(90));
		String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.minusSeconds(90).atOffset(ZoneOffset.UTC));
		assertThat(TokenEndpointBusyException.parseRetryAfter(past, NOW)).isZero();
	}

	@Test
	void boundsAndIgnoresWhatDoesNotRead() {
		assertThat(TokenEndpointBusyException.parseRetryAfter("99999999999999999999", NOW))
			.isEqualTo(TokenEndpointBusyException.MAX_RETRY_AFTER);
		assertThat(TokenEndpointBusyException.parseRetryAfter("86400", NOW))
			.isEqualTo(TokenEndpointBusyException.MAX_RETRY_AFTER);
		assertThat(TokenEndpointBusyException.parseRetryAfter("-5", NOW)).isNull();
		assertThat(TokenEndpointBusyException.parseRetryAfter("soon", NOW)).isNull();
		assertThat(TokenEndpointBusyException.parseRetryAfter("", NOW)).isNull();
		assertThat(TokenEndpointBusyException.parseRetryAfter(null, NOW)).isNull();
	}

	@Test
	void isFoundAmongTheCausesOfAFailedTokenRequest() {
		TokenEndpointBusyException busy = new TokenEndpointBusyException(
				new OAuth2Error("temporarily_unavailable"), Duration.ofSeconds(20));
		ClientAuthorizationException failure = new ClientAuthorizationException(busy.getError(), "api", busy);
		assertThat(TokenRequestErrors.retryAfterMillis(failure, NOW)).isEqualTo(20_000);

		HttpHeaders headers = new HttpHeaders();
		headers.set(HttpHeaders.RETRY_AFTER, "7");
		HttpServerErrorException status = HttpServerErrorException.create(HttpStatus.SERVICE_UNAVAILABLE,
				"Service Unavailable", headers, new byte[0], StandardCharsets.UTF_8);
		assertThat(TokenRequestErrors.retryAfterMillis(new IllegalStateException(status), NOW)).isEqualTo(7_000);

		assertThat(TokenRequestErrors.retryAfterMillis(new IllegalStateException("no header"), NOW)).isZero();
		assertThat(TokenRequestErrors.isPermanent(failure)).isFalse();
	}

	@Test
	void aBackgroundRefreshWaitsAtLeastWhatTheIdentityProviderAskedFor() throws InterruptedException {
		// Longer than the first backoff can be (250-500 ms), so only the ask explains it.
		long askedMillis = 1_500;
		List<Long> attemptStarts = new CopyOnWriteArrayList<>();
		CountDownLatch secondAttempt = new CountDownLatch(1);
		try (BackgroundRefresher refresher = new BackgroundRefresher()) {
			TokenKey key = TokenKey.system("api", CLIENT, Set.of(), null);
			refresher.start(key, System.currentTimeMillis(), (attempt, outcome) -> {
				attemptStarts.add(System.nanoTime());
				if (attempt == 0) {
					outcome.accept(askedMillis);
					return;
				}
				secondAttempt.countDown();
				outcome.accept(BackgroundRefresher.Refresh.DONE);
			});
			assertThat(secondAttempt.await(10, TimeUnit.SECONDS)).isTrue();
		}
		long waitedMillis = TimeUnit.NANOSECONDS.toMillis(attemptStarts.get(1) - attemptStarts.get(0));
		assertThat(waitedMillis).isGreaterThanOrEqualTo(askedMillis);
	}

}
