package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link TokenValueCodec}.
 */
class TokenValueCodecTests {

	private static final String KEY = "dexpace:token-cache:system:api:abc";

	private final TokenValueCodec plain = new TokenValueCodec(null);

	private final TokenValueCodec sealing = new TokenValueCodec(new AesGcmSealer(key(1)));

	private final CachedToken token = new CachedToken("opaque-secret-value", "Bearer", Set.of("api.read", "api.wörk"),
			Instant.ofEpochMilli(1_700_000_000_123L), Instant.ofEpochMilli(1_700_000_600_123L));

	@Test
	void aPlainValueRoundTrips() {
		assertThat(this.plain.decode(KEY, this.plain.encode(KEY, this.token)))
			.isEqualTo(new TokenValueCodec.Token(this.token));
	}

	@Test
	void aSealedValueRoundTrips() {
		assertThat(this.sealing.decode(KEY, this.sealing.encode(KEY, this.token)))
			.isEqualTo(new TokenValueCodec.Token(this.token));
	}

	@Test
	void aTokenWithoutIssuedAtOrScopesRoundTrips() {
		CachedToken bare = new CachedToken("t", "DPoP", Set.of(), null, Instant.ofEpochMilli(42));
		assertThat(this.plain.decode(KEY, this.plain.encode(KEY, bare))).isEqualTo(new TokenValueCodec.Token(bare));
	}

	@Test
	void aValueStartsWithMagicVersionAndKind() {
		assertThat(Arrays.copyOf(this.plain.encode(KEY, this.token), 3))
			.containsExactly(TokenValueCodec.MAGIC, TokenValueCodec.VERSION, TokenValueCodec.PLAIN);
		assertThat(Arrays.copyOf(this.sealing.encode(KEY, this.token), 3))
			.containsExactly(TokenValueCodec.MAGIC, TokenValueCodec.VERSION, TokenValueCodec.SEALED);
	}

	@Test
	void aSealedValueDoesNotContainTheToken() {
		String sealed = new String(this.sealing.encode(KEY, this.token), StandardCharsets.ISO_8859_1);
		assertThat(sealed).doesNotContain("opaque-secret-value").doesNotContain("api.read");
	}

	@Test
	void aValueOfANewerVersionIsUnsupported() {
		byte[] value = this.plain.encode(KEY, this.token);
		value[1] = TokenValueCodec.VERSION + 1;
		assertThat(this.plain.decode(KEY, value)).isEqualTo(new TokenValueCodec.Unsupported(TokenValueCodec.VERSION + 1));
	}

	@Test
	void aForeignValueIsCorrupt() {
		assertThat(this.plain.decode(KEY, "hello".getBytes(StandardCharsets.UTF_8)))
			.isInstanceOf(TokenValueCodec.Corrupt.class);
		assertThat(this.plain.decode(KEY, new byte[0])).isInstanceOf(TokenValueCodec.Corrupt.class);
	}

	@Test
	void everyTruncationOfAValueIsCorrupt() {
		for (TokenValueCodec codec : new TokenValueCodec[] { this.plain, this.sealing }) {
			byte[] value = codec.encode(KEY, this.token);
			for (int length = 0; length < value.length; length++) {
				assertThat(codec.decode(KEY, Arrays.copyOf(value, length))).as("length %d", length)
					.isInstanceOf(TokenValueCodec.Corrupt.class);
			}
		}
	}

	@Test
	void randomBodiesNeverThrow() {
		Random random = new Random(42);
		for (int i = 0; i < 2_000; i++) {
			byte[] value = new byte[3 + random.nextInt(64)];
			random.nextBytes(value);
			value[0] = TokenValueCodec.MAGIC;
			value[1] = TokenValueCodec.VERSION;
			value[2] = TokenValueCodec.PLAIN;
			assertThat(this.plain.decode(KEY, value)).isNotNull();
		}
	}

	@Test
	void flippingAnyBitOfASealedValueMakesItCorrupt() {
		byte[] value = this.sealing.encode(KEY, this.token);
		for (int i = 2; i < value.length; i++) {
			byte[] tampered = value.clone();
			tampered[i] ^= 0x01;
			assertThat(this.sealing.decode(KEY, tampered)).as("byte %d", i).isInstanceOf(TokenValueCodec.Corrupt.class);
		}
	}

	@Test
	void aSealedValueIsBoundToItsKey() {
		byte[] value = this.sealing.encode(KEY, this.token);
		assertThat(this.sealing.decode(KEY + "x", value)).isInstanceOf(TokenValueCodec.Corrupt.class);
	}

	@Test
	void aValueSealedUnderAnotherKeyIsCorrupt() {
		byte[] value = new TokenValueCodec(new AesGcmSealer(key(2))).encode(KEY, this.token);
		assertThat(this.sealing.decode(KEY, value)).isInstanceOf(TokenValueCodec.Corrupt.class);
	}

	@Test
	void plainAndSealedValuesAreNotMixed() {
		assertThat(this.sealing.decode(KEY, this.plain.encode(KEY, this.token)))
			.isInstanceOf(TokenValueCodec.Corrupt.class);
		assertThat(this.plain.decode(KEY, this.sealing.encode(KEY, this.token)))
			.isInstanceOf(TokenValueCodec.Corrupt.class);
	}

	private static byte[] key(int seed) {
		byte[] key = new byte[32];
		new Random(seed).nextBytes(key);
		return key;
	}

}
