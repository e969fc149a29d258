package dev.dexpace.tokencache.redis;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.test.Bounded;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes {@link TokenValueCodec#decode}, plain and sealed, with random and mutated values:
 * it never throws, never hangs and never hands out a token that differs from the one
 * written, whatever Redis returns.
 */
class TokenValueCodecFuzzTests {

	private static final String KEY = "dexpace:token-cache:system:api:0123abcd";

	private static final byte[] ENCRYPTION_KEY = new byte[32];

	static {
		new SecureRandom().nextBytes(ENCRYPTION_KEY);
	}

	private final TokenValueCodec plain = new TokenValueCodec(null);

	private final TokenValueCodec sealed = new TokenValueCodec(new AesGcmSealer(ENCRYPTION_KEY));

	@Property(tries = 2000)
	void randomValuesNeverThrow(@ForAll @Size(max = 2048) byte[] value, @ForAll boolean sealing) {
		assertThat(decode(codec(sealing), value)).isNotNull();
	}

	@Property(tries = 2000)
	void randomBodiesBehindAValidHeaderNeverThrow(@ForAll @IntRange(min = 1, max = 2) int version,
			@ForAll @IntRange(min = 0, max = 3) int kind, @ForAll @Size(max = 2048) byte[] body,
			@ForAll boolean sealing) {
		byte[] value = ByteBuffer.allocate(3 + body.length)
			.put(TokenValueCodec.MAGIC)
			.put((byte) version)
			.put((byte) kind)
			.put(body)
			.array();
		TokenValueCodec.Decoded decoded = decode(codec(sealing), value);
		if (sealing) {
			// Random bytes never pass AES-GCM authentication.
			assertThat(decoded).isNotInstanceOf(TokenValueCodec.Token.class);
		}
		else {
			assertThat(decoded).isNotNull();
		}
	}

	@Property(tries = 3000)
	void mutatedValuesNeverThrowAndNeverYieldAnotherToken(@ForAll("tokens") CachedToken token,
			@ForAll("mutations") Mutation mutation, @ForAll boolean sealing) {
		TokenValueCodec codec = codec(sealing);
		byte[] value = codec.encode(KEY, token);
		byte[] mutated = mutation.apply(value);
		TokenValueCodec.Decoded decoded = decode(codec, mutated);
		assertThat(decoded).isNotNull();
		if (sealing && decoded instanceof TokenValueCodec.Token result) {
			// Authenticated encryption: what opens is exactly what was written.
			assertThat(result.token()).isEqualTo(token);
		}
	}

	@Property(tries = 500)
	void everyTokenRoundTrips(@ForAll("tokens") CachedToken token, @ForAll boolean sealing) {
		TokenValueCodec codec = codec(sealing);
		assertThat(decode(codec, codec.encode(KEY, token))).isEqualTo(new TokenValueCodec.Token(token));
	}

	@Property(tries = 500)
	void aLengthPrefixClaimingHugeSizesIsCorruptNotAnAllocation(@ForAll("tokens") CachedToken token,
			@ForAll @IntRange(min = 0, max = 40) int offset, @ForAll int length) {
		byte[] value = this.plain.encode(KEY, token);
		int at = Math.min(3 + 16 + offset, value.length - 4);
		ByteBuffer.wrap(value).putInt(at, length);
		assertThat(decode(this.plain, value)).isNotNull();
	}

	@Provide
	Arbitrary<CachedToken> tokens() {
		Arbitrary<String> values = Arbitraries.strings().ofMinLength(1).ofMaxLength(300);
		Arbitrary<Set<String>> scopes = Arbitraries.strings().ofMaxLength(20).set().ofMaxSize(5);
		Arbitrary<Instant> instants = Arbitraries.longs()
			.between(0, 4_102_444_800_000L)
			.map(Instant::ofEpochMilli);
		return Combinators.combine(values, Arbitraries.of("Bearer", "DPoP", "bearer", ""), scopes,
				instants.injectNull(0.2), instants)
			.as(CachedToken::new);
	}

	@Provide
	Arbitrary<Mutation> mutations() {
		Arbitrary<Mutation> flips = Arbitraries.integers()
			.between(0, Integer.MAX_VALUE)
			.list()
			.ofMinSize(1)
			.ofMaxSize(8)
			.map((positions) -> (value) -> {
				byte[] copy = value.clone();
				for (int position : positions) {
					copy[position % copy.length] ^= (byte) (1 << (position % 8));
				}
				return copy;
			});
		Arbitrary<Mutation> truncations = Arbitraries.integers().between(0, 10_000).map((length) -> (value) -> {
			byte[] copy = new byte[Math.min(length, value.length)];
			System.arraycopy(value, 0, copy, 0, copy.length);
			return copy;
		});
		Arbitrary<Mutation> overwrites = Combinators
			.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE), Arbitraries.bytes().array(byte[].class)
				.ofMinSize(1)
				.ofMaxSize(16))
			.as((position, bytes) -> (value) -> {
				byte[] copy = value.clone();
				int at = position % copy.length;
				System.arraycopy(bytes, 0, copy, at, Math.min(bytes.length, copy.length - at));
				return copy;
			});
		Arbitrary<Mutation> appends = Arbitraries.bytes()
			.array(byte[].class)
			.ofMinSize(1)
			.ofMaxSize(64)
			.map((extra) -> (value) -> ByteBuffer.allocate(value.length + extra.length).put(value).put(extra).array());
		return Arbitraries.oneOf(flips, truncations, overwrites, appends);
	}

	private TokenValueCodec codec(boolean sealing) {
		return sealing ? this.sealed : this.plain;
	}

	private static TokenValueCodec.Decoded decode(TokenValueCodec codec, byte[] value) {
		return Bounded.within(() -> codec.decode(KEY, value));
	}

	@FunctionalInterface
	interface Mutation {

		byte[] apply(byte[] value);

	}

}
