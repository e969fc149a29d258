package dev.dexpace.tokencache.redis;

import java.util.List;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two token keys share a Redis key exactly when they are equal, for random registrations
 * (colons and case included), kinds, scopes (RFC 6749 scope characters, which exclude the
 * space that separates them), audiences and subjects; and a Redis key never holds a
 * subject token.
 */
class RedisKeysIsolationPropertyTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private final RedisKeys keys = new RedisKeys(RedisTokenCache.DEFAULT_KEY_PREFIX);

	@Property(tries = 3000)
	void distinctTokenKeysNeverShareARedisKey(@ForAll("tokenKeys") TokenKey a, @ForAll("tokenKeys") TokenKey b) {
		assertThat(this.keys.of(a).equals(this.keys.of(b))).isEqualTo(a.equals(b));
	}

	@Property(tries = 500)
	void aRedisKeyNeverHoldsTheSubject(@ForAll("subjects") String subject) {
		TokenKey key = TokenKey.user("api", CLIENT, subject, List.of("read"), null);
		assertThat(this.keys.of(key)).doesNotContain(subject).startsWith("dexpace:token-cache:user:api:");
	}

	@Provide
	Arbitrary<TokenKey> tokenKeys() {
		Arbitrary<String> registrations = Arbitraries.of("api", "API", "api:v2", "api2", "a", "orders");
		Arbitrary<List<String>> scopes = Arbitraries.of("read", "write", "read:all", "admin", "READ", "r", "ead")
			.list()
			.ofMaxSize(3);
		Arbitrary<String> audiences = Arbitraries.of("aud", "aud-2", "", "read").injectNull(0.4);
		Arbitrary<String> subjects = Arbitraries.of("subject-token-alice-0123456789", "subject-token-bob-0123456789");
		return Combinators.combine(registrations, Arbitraries.of(TokenKind.class), scopes, audiences, subjects)
			.as((registration, kind, scope, audience, subject) -> (kind == TokenKind.SYSTEM)
					? TokenKey.system(registration, CLIENT,
							scope, audience) : TokenKey.user(registration, CLIENT, subject, scope, audience));
	}

	@Provide
	Arbitrary<String> subjects() {
		return Arbitraries.strings().ofMinLength(20).ofMaxLength(200).alpha().numeric();
	}

}
