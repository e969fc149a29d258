package dev.dexpace.tokencache;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link CachedToken} and {@link TokenKey}.
 */
class CachedTokenTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	@Test
	void toStringNeverShowsTheTokenValue() {
		CachedToken token = new CachedToken("s3cr3t-token", "Bearer", Set.of("read"), null, Instant.EPOCH);
		assertThat(token.toString()).doesNotContain("s3cr3t-token").contains("redacted");
	}

	@Test
	void sameTokenComparesValuesOnly() {
		CachedToken a = new CachedToken("value", "Bearer", Set.of("read"), null, Instant.EPOCH);
		CachedToken b = new CachedToken("value", "Bearer", Set.of(), Instant.EPOCH, Instant.MAX);
		assertThat(a.sameTokenAs(b)).isTrue();
		assertThat(a.sameTokenAs(new CachedToken("other", "Bearer", Set.of(), null, Instant.EPOCH))).isFalse();
	}

	@Test
	void userKeyHoldsADigestNeverTheSubject() {
		TokenKey key = TokenKey.user("exchange", CLIENT, "raw-subject-token", List.of("b", "a", "b"), "aud");
		assertThat(key.subjectDigest()).hasSize(64).isEqualTo(TokenKey.digest("raw-subject-token"));
		assertThat(key.toString()).doesNotContain("raw-subject-token");
		assertThat(key.scopes()).containsExactly("a", "b");
	}

	@Test
	void systemKeysAreEqualWhateverTheScopeOrder() {
		assertThat(TokenKey.system("api", CLIENT, List.of("b", "a"), null))
			.isEqualTo(TokenKey.system("api", CLIENT, Set.of("a", "b"), null));
	}

	@Test
	void kindAndDigestMustAgree() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new TokenKey("api", CLIENT, TokenKind.USER, List.of(), null, null));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new TokenKey("api", CLIENT, TokenKind.SYSTEM, List.of(), null, "abc"));
	}

}
