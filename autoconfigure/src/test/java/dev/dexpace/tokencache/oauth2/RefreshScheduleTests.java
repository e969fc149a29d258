package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpStatus;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When refreshes are due, how retries back off, and which token request errors heal.
 */
class RefreshScheduleTests {

	private static final Instant ISSUED = Instant.parse("2026-11-25T10:00:00Z");

	private static final Instant EXPIRES = ISSUED.plusSeconds(3600);

	@Test
	void aRefreshIsDueBetweenTheWholeWindowAndHalfOfItBeforeTheTokenLeavesTheCache() {
		long leavesCache = EXPIRES.minusSeconds(30).toEpochMilli();
		for (int i = 0; i < 200; i++) {
			RefreshSchedule schedule = new RefreshSchedule(Duration.ofSeconds(60), Duration.ofSeconds(30));
			long refreshAt = schedule.refreshAtMillis(token("t" + i, ISSUED, EXPIRES));
			assertThat(refreshAt).isBetween(leavesCache - 60_000, leavesCache - 30_000);
		}
	}

	@Test
	void instancesThatCachedTheSameTokenRefreshItAtDifferentTimes() {
		CachedToken token = token("shared", ISSUED, EXPIRES);
		Set<Long> moments = new HashSet<>();
		for (int i = 0; i < 20; i++) {
			moments.add(new RefreshSchedule(Duration.ofSeconds(60), Duration.ofSeconds(30)).refreshAtMillis(token));
		}
		assertThat(moments).hasSizeGreaterThan(10);
	}

	@Test
	void oneInstanceKeepsOneMomentPerToken() {
		RefreshSchedule schedule = new RefreshSchedule(Duration.ofSeconds(60), Duration.ofSeconds(30));
		CachedToken token = token("t", ISSUED, EXPIRES);
		assertThat(schedule.refreshAtMillis(token)).isEqualTo(schedule.refreshAtMillis(token));
	}

	@Test
	void theWindowNeverExceedsHalfTheTokensLifeInTheCache() {
		RefreshSchedule schedule = new RefreshSchedule(Duration.ofMinutes(10), Duration.ofSeconds(30));
		Instant expires = ISSUED.plusSeconds(150);
		long leavesCache = expires.minusSeconds(30).toEpochMilli();
		assertThat(schedule.refreshAtMillis(token("t", ISSUED, expires))).isBetween(leavesCache - 60_000,
				leavesCache - 30_000);
	}

	@Test
	void zeroTurnsRefreshAheadOff() {
		RefreshSchedule schedule = new RefreshSchedule(Duration.ZERO, Duration.ofSeconds(30));
		assertThat(schedule.refreshAtMillis(token("t", ISSUED, EXPIRES))).isEqualTo(Long.MAX_VALUE);
	}

	@Test
	void aTokenWithNoLifeInTheCacheIsNeverRefreshedAhead() {
		RefreshSchedule schedule = new RefreshSchedule(Duration.ofSeconds(60), Duration.ofSeconds(30));
		assertThat(schedule.refreshAtMillis(token("t", ISSUED, ISSUED.plusSeconds(20)))).isEqualTo(Long.MAX_VALUE);
	}

	@Test
	void retriesBackOffWithJitterUpToThirtySeconds() {
		for (int attempt = 0; attempt < 40; attempt++) {
			long bound = Math.min(30_000, 500L << Math.min(attempt, 16));
			assertThat(RefreshSchedule.retryDelayMillis(attempt)).isBetween(bound / 2, bound);
		}
	}

	@Test
	void anErrorThatIsNotTheIdentityProvidersIsPermanent() {
		// Spring's DefaultOAuth2AuthorizedClientManager outside a servlet request
		assertThat(TokenRequestErrors.isPermanent(new IllegalArgumentException("servletRequest cannot be null")))
			.isTrue();
		assertThat(TokenRequestErrors.isPermanent(new NullPointerException())).isTrue();
		assertThat(TokenRequestErrors.isPermanent(new IllegalStateException(new ClassCastException()))).isTrue();
		assertThat(TokenRequestErrors.isPermanent(new IllegalStateException(new java.net.ConnectException())))
			.isFalse();
		assertThat(TokenRequestErrors.isPermanent(new java.util.concurrent.TimeoutException())).isFalse();
		assertThat(TokenRequestErrors.isPermanent(new java.io.UncheckedIOException(new java.io.IOException())))
			.isFalse();
		assertThat(TokenRequestErrors.isPermanent(new OAuth2AuthorizationException(new OAuth2Error("server_error"))))
			.isFalse();
	}

	@Test
	void errorsOfTheRequestItselfArePermanentServerAndNetworkErrorsAreNot() {
		for (String code : List.of("invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
				"unsupported_grant_type", "invalid_scope")) {
			assertThat(TokenRequestErrors.isPermanent(new OAuth2AuthorizationException(new OAuth2Error(code))))
				.as(code)
				.isTrue();
		}
		OAuth2Error wrapped = new OAuth2Error("invalid_token_response");
		assertThat(TokenRequestErrors.isPermanent(new OAuth2AuthorizationException(wrapped,
				HttpClientErrorException.create(HttpStatus.UNAUTHORIZED, "", null, null, null))))
			.isTrue();
		assertThat(TokenRequestErrors.isPermanent(new OAuth2AuthorizationException(wrapped,
				HttpClientErrorException.create(HttpStatus.TOO_MANY_REQUESTS, "", null, null, null))))
			.isFalse();
		assertThat(TokenRequestErrors.isPermanent(new OAuth2AuthorizationException(wrapped,
				HttpServerErrorException.create(HttpStatus.SERVICE_UNAVAILABLE, "", null, null, null))))
			.isFalse();
		assertThat(TokenRequestErrors.isPermanent(
				new OAuth2AuthorizationException(wrapped, new ResourceAccessException("timed out"))))
			.isFalse();
		assertThat(TokenRequestErrors.isPermanent(new OAuth2AuthorizationException(new OAuth2Error("server_error"))))
			.isFalse();
	}

	private static CachedToken token(String value, Instant issuedAt, Instant expiresAt) {
		return new CachedToken(value, "Bearer", Set.of(), issuedAt, expiresAt);
	}

}
