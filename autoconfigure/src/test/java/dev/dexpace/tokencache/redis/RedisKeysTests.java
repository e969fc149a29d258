package dev.dexpace.tokencache.redis;

import java.util.List;

import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link RedisKeys}.
 */
class RedisKeysTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private final RedisKeys keys = new RedisKeys("dexpace:token-cache:");

	@Test
	void aSystemKeyNamesKindAndRegistration() {
		assertThat(this.keys.of(TokenKey.system("api", CLIENT, List.of("b", "a"), null)))
			.matches("dexpace:token-cache:system:api:[0-9a-f]{64}")
			.isEqualTo(this.keys.of(TokenKey.system("api", CLIENT, List.of("a", "b"), null)));
	}

	@Test
	void aUserKeyHoldsNeitherTheSubjectNorItsDigest() {
		TokenKey key = TokenKey.user("exchange", CLIENT, "raw-subject-token", List.of("api.read"), "aud");
		assertThat(this.keys.of(key)).matches("dexpace:token-cache:user:exchange:[0-9a-f]{64}")
			.doesNotContain("raw-subject-token")
			.doesNotContain(TokenKey.digest("raw-subject-token"));
	}

	@Test
	void keysDifferByEveryPartOfTheTokenKey() {
		assertThat(List.of(this.keys.of(TokenKey.system("api", CLIENT, List.of("a"), null)),
				this.keys.of(TokenKey.system("api", CLIENT, List.of("a", "b"), null)),
				this.keys.of(TokenKey.system("api", CLIENT, List.of("a"), "aud")),
				this.keys.of(TokenKey.system("other", CLIENT, List.of("a"), null)),
				this.keys.of(TokenKey.user("api", CLIENT, "subject-1", List.of("a"), null)),
				this.keys.of(TokenKey.user("api", CLIENT, "subject-2", List.of("a"), null))))
			.doesNotHaveDuplicates();
	}

	@Test
	void theScanPatternEscapesGlobCharactersOfThePrefix() {
		assertThat(new RedisKeys("app[1]*?\\:").pattern()).isEqualTo("app\\[1\\]\\*\\?\\\\:*");
	}

	@Test
	void theScanPatternOfARegistrationEndsWithExactlyOneDigest() {
		assertThat(this.keys.pattern(TokenKind.SYSTEM, "a"))
			.isEqualTo("dexpace:token-cache:system:a:" + "?".repeat(64));
		assertThat(this.keys.pattern(TokenKind.USER, "a*[b]?")).isEqualTo("dexpace:token-cache:user:a\\*\\[b\\]\\?:"
				+ "?".repeat(64));
	}

	@Test
	void theScanPatternOfAKindMatchesOnlyKeysWithARegistrationAndADigest() {
		assertThat(this.keys.pattern(TokenKind.USER)).isEqualTo("dexpace:token-cache:user:*:" + "?".repeat(64));
		assertThat(new RedisKeys("p*:").pattern(TokenKind.SYSTEM)).isEqualTo("p\\*:system:*:" + "?".repeat(64));
	}

	@Test
	void aKeyOfARegistrationWithAColonInItsIdIsParsedBack() {
		TokenKey key = TokenKey.user("a:b", CLIENT, "subject", List.of(), null);
		assertThat(this.keys.parse(this.keys.of(key)))
			.isEqualTo(new RedisKeys.Parsed(TokenKind.USER, "a:b", TokenCacheEntry.keyDigest(key)));
		assertThat(this.keys.parse("dexpace:token-cache:system:a:b")).as("not a digest").isNull();
		assertThat(this.keys.parse(this.keys.lockOf(key))).as("a lease").isNull();
	}

	@Test
	void aKeyDigestCoversTheClientIdentity() {
		TokenKey first = TokenKey.system("api", TokenKey.clientDigest("app", "https://idp/token"), List.of(), null);
		TokenKey second = TokenKey.system("api", TokenKey.clientDigest("other-app", "https://idp/token"), List.of(),
				null);
		assertThat(this.keys.of(first)).isNotEqualTo(this.keys.of(second));
	}

	@Test
	void aBlankPrefixIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> new RedisKeys(" "));
	}

	@Test
	void anApplicationKeyIsHashedOnceAndAnEqualKeyGetsTheSameRedisKey() {
		String first = this.keys.of(TokenKey.system("api", CLIENT, List.of("read", "write"), null));
		String again = this.keys.of(TokenKey.system("api", CLIENT, List.of("write", "read"), null));
		assertThat(again).isSameAs(first);
		assertThat(this.keys.of(TokenKey.system("api", CLIENT, List.of("read"), null))).isNotEqualTo(first);
	}

	@Test
	void userKeysAreNotRememberedButStayStable() {
		String first = this.keys.of(TokenKey.user("exchange", CLIENT, "subject", List.of(), null));
		String again = this.keys.of(TokenKey.user("exchange", CLIENT, "subject", List.of(), null));
		assertThat(again).isEqualTo(first).isNotSameAs(first);
	}

	@Test
	void rememberedApplicationKeysAreBounded() {
		for (int i = 0; i < RedisKeys.MAX_REMEMBERED + 10; i++) {
			TokenKey key = TokenKey.system("api-" + i, CLIENT, List.of(), null);
			assertThat(this.keys.of(key)).isEqualTo(new RedisKeys("dexpace:token-cache:").of(key));
		}
	}

}
