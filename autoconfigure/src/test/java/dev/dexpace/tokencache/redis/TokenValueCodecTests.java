package dev.dexpace.tokencache.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
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
	void aPlainValueStartsWithMagicVersionOneAndKind() {
		assertThat(Arrays.copyOf(this.plain.encode(KEY, this.token), 3))
			.containsExactly(TokenValueCodec.MAGIC, TokenValueCodec.V1, TokenValueCodec.PLAIN);
	}

	@Test
	void aSealedValueStartsWithMagicVersionTwoKindAndTheKeyIdButNotTheKey() {
		byte[] value = this.sealing.encode(KEY, this.token);
		byte[] keyId = new AesGcmSealer(key(1)).keyId();
		assertThat(keyId).hasSize(AesGcmSealer.KEY_ID_BYTES).isNotEqualTo(Arrays.copyOf(key(1), keyId.length));
		assertThat(Arrays.copyOf(value, 3)).containsExactly(TokenValueCodec.MAGIC, TokenValueCodec.V2,
				TokenValueCodec.SEALED);
		assertThat(Arrays.copyOfRange(value, 3, 3 + keyId.length)).isEqualTo(keyId);
		assertThat(new String(value, StandardCharsets.ISO_8859_1))
			.doesNotContain(new String(key(1), StandardCharsets.ISO_8859_1).substring(0, 4));
	}

	@Test
	void differentKeysHaveDifferentKeyIds() {
		assertThat(new AesGcmSealer(key(1)).keyId()).isNotEqualTo(new AesGcmSealer(key(2)).keyId());
		assertThat(new AesGcmSealer(key(1)).keyId()).isEqualTo(new AesGcmSealer(key(1)).keyId());
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
			value[1] = TokenValueCodec.V1;
			value[2] = TokenValueCodec.PLAIN;
			assertThat(this.plain.decode(KEY, value)).isNotNull();
		}
	}

	@Test
	void flippingAnyBitOfASealedValueNeverYieldsATokenAndIsCorruptUnlessItHitsTheKeyId() {
		byte[] value = this.sealing.encode(KEY, this.token);
		for (int i = 2; i < value.length; i++) {
			byte[] tampered = value.clone();
			tampered[i] ^= 0x01;
			boolean keyIdByte = i >= 3 && i < 3 + AesGcmSealer.KEY_ID_BYTES;
			// A changed key id names a key this codec does not have: another instance's value.
			assertThat(this.sealing.decode(KEY, tampered)).as("byte %d", i)
				.isInstanceOf(keyIdByte ? TokenValueCodec.Unreadable.class : TokenValueCodec.Corrupt.class);
		}
	}

	@Test
	void aSealedValueIsBoundToItsKey() {
		byte[] value = this.sealing.encode(KEY, this.token);
		assertThat(this.sealing.decode(KEY + "x", value)).isInstanceOf(TokenValueCodec.Corrupt.class);
	}

	@Test
	void aValueSealedUnderAKeyThisCodecDoesNotHaveIsUnreadableNotCorrupt() {
		byte[] value = new TokenValueCodec(new AesGcmSealer(key(2))).encode(KEY, this.token);
		assertThat(this.sealing.decode(KEY, value)).isInstanceOf(TokenValueCodec.Unreadable.class);
		TokenValueCodec withPrevious = new TokenValueCodec(new AesGcmSealer(key(1)),
				List.of(new AesGcmSealer(key(3))));
		assertThat(withPrevious.decode(KEY, value)).isInstanceOf(TokenValueCodec.Unreadable.class);
	}

	@Test
	void aValueSealedWithAPreviousKeyOpens() {
		byte[] value = this.sealing.encode(KEY, this.token);
		TokenValueCodec rotated = new TokenValueCodec(new AesGcmSealer(key(2)),
				List.of(new AesGcmSealer(key(3)), new AesGcmSealer(key(1))));
		assertThat(rotated.decode(KEY, value)).isEqualTo(new TokenValueCodec.Token(this.token));
	}

	@Test
	void aPreviousKeyIsNeverUsedToSeal() {
		TokenValueCodec rotated = new TokenValueCodec(new AesGcmSealer(key(2)), List.of(new AesGcmSealer(key(1))));
		for (int i = 0; i < 20; i++) {
			byte[] value = rotated.encode(KEY, this.token);
			assertThat(Arrays.copyOfRange(value, 3, 3 + AesGcmSealer.KEY_ID_BYTES))
				.isEqualTo(new AesGcmSealer(key(2)).keyId());
			assertThat(this.sealing.decode(KEY, value)).isInstanceOf(TokenValueCodec.Unreadable.class);
			assertThat(new TokenValueCodec(new AesGcmSealer(key(2))).decode(KEY, value))
				.isEqualTo(new TokenValueCodec.Token(this.token));
		}
	}

	@Test
	void aCodecWithOnlyPreviousKeysStoresPlainAndReadsPlainAndSealedValues() {
		TokenValueCodec turningOff = new TokenValueCodec(null, List.of(new AesGcmSealer(key(1))));
		byte[] written = turningOff.encode(KEY, this.token);
		assertThat(written[2]).isEqualTo(TokenValueCodec.PLAIN);
		assertThat(this.plain.decode(KEY, written)).isEqualTo(new TokenValueCodec.Token(this.token));
		assertThat(turningOff.decode(KEY, written)).isEqualTo(new TokenValueCodec.Token(this.token));
		assertThat(turningOff.decode(KEY, this.sealing.encode(KEY, this.token)))
			.isEqualTo(new TokenValueCodec.Token(this.token));
		assertThat(turningOff.isSealing()).isFalse();
	}

	@Test
	void plainAndSealedValuesAreNotMixedButAreLeftAlone() {
		// With encryption on, a plain value is never served; without a key, a sealed one
		// cannot be. Either may be another instance's during a rolling deploy.
		assertThat(this.sealing.decode(KEY, this.plain.encode(KEY, this.token)))
			.isInstanceOf(TokenValueCodec.Unreadable.class);
		assertThat(this.plain.decode(KEY, this.sealing.encode(KEY, this.token)))
			.isInstanceOf(TokenValueCodec.Unreadable.class);
	}

	@Test
	void aVersionOneSealedValueOfThePreviousReleaseOpensWithTheCurrentOrAPreviousKey() {
		byte[] legacy = legacySealed(key(1), KEY, this.token);
		assertThat(this.sealing.decode(KEY, legacy)).isEqualTo(new TokenValueCodec.Token(this.token));
		TokenValueCodec rotated = new TokenValueCodec(new AesGcmSealer(key(2)), List.of(new AesGcmSealer(key(1))));
		assertThat(rotated.decode(KEY, legacy)).isEqualTo(new TokenValueCodec.Token(this.token));
		assertThat(new TokenValueCodec(null, List.of(new AesGcmSealer(key(1)))).decode(KEY, legacy))
			.isEqualTo(new TokenValueCodec.Token(this.token));
	}

	@Test
	void aVersionOneSealedValueThatNoKeyOpensIsUnreadable() {
		byte[] legacy = legacySealed(key(3), KEY, this.token);
		assertThat(this.sealing.decode(KEY, legacy)).isInstanceOf(TokenValueCodec.Unreadable.class);
		assertThat(this.plain.decode(KEY, legacy)).isInstanceOf(TokenValueCodec.Unreadable.class);
	}

	@Test
	void aBadHeaderIsCorrupt() {
		byte[] sealed = this.sealing.encode(KEY, this.token);
		sealed[2] = TokenValueCodec.PLAIN;
		assertThat(this.sealing.decode(KEY, sealed)).isInstanceOf(TokenValueCodec.Corrupt.class);
		byte[] unknownKind = this.plain.encode(KEY, this.token);
		unknownKind[2] = 7;
		assertThat(this.plain.decode(KEY, unknownKind)).isInstanceOf(TokenValueCodec.Corrupt.class);
		assertThat(this.sealing.decode(KEY, Arrays.copyOf(sealed, 5))).isInstanceOf(TokenValueCodec.Corrupt.class);
		byte[] versionZero = this.plain.encode(KEY, this.token);
		versionZero[1] = 0;
		assertThat(this.plain.decode(KEY, versionZero)).isInstanceOf(TokenValueCodec.Corrupt.class);
	}

	/**
	 * A sealed value as version 0.1.0 wrote it: a three-byte header and no key id.
	 */
	private static byte[] legacySealed(byte[] key, String redisKey, CachedToken token) {
		byte[] plain = new TokenValueCodec(null).encode(redisKey, token);
		byte[] header = { TokenValueCodec.MAGIC, TokenValueCodec.V1, TokenValueCodec.SEALED };
		byte[] associatedData = ByteBuffer.allocate(3 + redisKey.length())
			.put(header)
			.put(redisKey.getBytes(StandardCharsets.US_ASCII))
			.array();
		byte[] sealed = new AesGcmSealer(key).seal(Arrays.copyOfRange(plain, 3, plain.length), associatedData);
		return ByteBuffer.allocate(3 + sealed.length).put(header).put(sealed).array();
	}

	private static byte[] key(int seed) {
		byte[] key = new byte[32];
		new Random(seed).nextBytes(key);
		return key;
	}

}
