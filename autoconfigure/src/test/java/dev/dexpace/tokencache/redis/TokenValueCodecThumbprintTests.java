package dev.dexpace.tokencache.redis;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the key thumbprint a {@link TokenValueCodec} value of a DPoP token records.
 */
class TokenValueCodecThumbprintTests {

	private static final CachedToken TOKEN = new CachedToken("tkn", "DPoP", Set.of("a"),
			Instant.parse("2026-12-01T10:00:00Z"), Instant.parse("2026-12-01T11:00:00Z"));

	private static final String THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

	@Test
	void aBoundTokenRecordsItsKeysThumbprintPlainAndSealed() {
		for (TokenValueCodec codec : new TokenValueCodec[] { new TokenValueCodec(null),
				TokenValueCodec.of(new byte[32], List.of()) }) {
			byte[] value = codec.encode("k", TOKEN, THUMBPRINT);
			assertThat(codec.decode("k", value)).isInstanceOfSatisfying(TokenValueCodec.Token.class, (token) -> {
				assertThat(token.keyThumbprint()).isEqualTo(THUMBPRINT);
				assertThat(token.token().tokenValue()).isEqualTo("tkn");
			});
		}
	}

	@Test
	void aBearerTokensValueIsWhatItWasBeforeAndRecordsNoThumbprint() {
		TokenValueCodec codec = new TokenValueCodec(null);
		byte[] value = codec.encode("k", TOKEN, null);
		assertThat(value).isEqualTo(codec.encode("k", TOKEN));
		assertThat(codec.decode("k", value)).isInstanceOfSatisfying(TokenValueCodec.Token.class,
				(token) -> assertThat(token.keyThumbprint()).isNull());
	}

}
