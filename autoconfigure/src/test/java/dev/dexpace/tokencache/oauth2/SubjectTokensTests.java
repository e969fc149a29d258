package dev.dexpace.tokencache.oauth2;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import org.junit.jupiter.api.Test;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link SubjectTokens}.
 */
class SubjectTokensTests {

	private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

	private static final String CLIENT = TokenKey.clientDigest("app", "https://idp.example.com/token");

	private static final TokenKey SYSTEM = TokenKey.system("api", CLIENT, List.of("api.read"), null);

	private static final TokenKey USER = TokenKey.user("exchange", CLIENT, "subject", List.of("api.read"), null);

	@Test
	void aUserTokenIsBoundedByTheSubjectTokenThatExpiresFirst() {
		CachedToken issued = token(NOW.plusSeconds(600));
		CachedToken bounded = SubjectTokens.bounded(USER, issued, user(NOW.plusSeconds(300)));
		assertThat(bounded.expiresAt()).isEqualTo(NOW.plusSeconds(300));
		assertThat(bounded.sameTokenAs(issued)).isTrue();
		assertThat(SubjectTokens.bounded(USER, issued, user(NOW.plusSeconds(900)))).isSameAs(issued);
	}

	@Test
	void aSystemTokenOrASubjectWithoutExpiryIsNotBounded() {
		CachedToken issued = token(NOW.plusSeconds(600));
		assertThat(SubjectTokens.bounded(SYSTEM, issued, user(NOW.plusSeconds(300)))).isSameAs(issued);
		assertThat(SubjectTokens.bounded(USER, issued, new TestingAuthenticationToken("someone", null)))
			.isSameAs(issued);
	}

	@Test
	void anExpiredSubjectIsSeenAsExpiredFromItsExpiryOn() {
		Authentication user = user(NOW);
		assertThat(SubjectTokens.hasExpired(USER, user, NOW.toEpochMilli() - 1)).isFalse();
		assertThat(SubjectTokens.hasExpired(USER, user, NOW.toEpochMilli())).isTrue();
		assertThat(SubjectTokens.hasExpired(SYSTEM, user, NOW.toEpochMilli())).isFalse();
	}

	@Test
	void aRefreshStartsOnlyWhileTheSubjectOutlivesTheCachedToken() {
		CachedToken boundedBySubject = token(NOW.plusSeconds(300));
		assertThat(SubjectTokens.mayRefresh(USER, boundedBySubject, user(NOW.plusSeconds(300)))).isFalse();
		assertThat(SubjectTokens.mayRefresh(USER, boundedBySubject, user(NOW.plusSeconds(200)))).isFalse();
		assertThat(SubjectTokens.mayRefresh(USER, boundedBySubject, user(NOW.plusSeconds(301)))).isTrue();
		assertThat(SubjectTokens.mayRefresh(SYSTEM, boundedBySubject, user(NOW))).isTrue();
	}

	private static CachedToken token(Instant expiresAt) {
		return new CachedToken("exchanged", "Bearer", Set.of("api.read"), NOW, expiresAt);
	}

	private static Authentication user(Instant subjectExpiry) {
		Jwt subject = Jwt.withTokenValue("subject")
			.header("alg", "none")
			.subject("alice")
			.issuedAt(subjectExpiry.minusSeconds(3600))
			.expiresAt(subjectExpiry)
			.build();
		return new TestingAuthenticationToken(subject, null);
	}

}
