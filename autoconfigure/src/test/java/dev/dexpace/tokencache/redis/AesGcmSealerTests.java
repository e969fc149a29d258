package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link AesGcmSealer}.
 */
class AesGcmSealerTests {

	private final byte[] key = new byte[32];

	{
		Arrays.fill(this.key, (byte) 7);
	}

	@Test
	void aSealedValueOpensWithTheSameAssociatedData() throws GeneralSecurityException {
		AesGcmSealer sealer = new AesGcmSealer(this.key);
		byte[] sealed = sealer.seal(bytes("secret"), bytes("key-1"));
		assertThat(sealer.open(sealed, bytes("key-1"))).isEqualTo(bytes("secret"));
	}

	@Test
	void sealingTheSameValueTwiceGivesDifferentCiphertexts() {
		AesGcmSealer sealer = new AesGcmSealer(this.key);
		assertThat(sealer.seal(bytes("secret"), bytes("k"))).isNotEqualTo(sealer.seal(bytes("secret"), bytes("k")));
	}

	@Test
	void aSealedValueDoesNotOpenWithOtherAssociatedData() {
		AesGcmSealer sealer = new AesGcmSealer(this.key);
		byte[] sealed = sealer.seal(bytes("secret"), bytes("key-1"));
		assertThatExceptionOfType(GeneralSecurityException.class).isThrownBy(() -> sealer.open(sealed, bytes("key-2")));
		assertThatExceptionOfType(GeneralSecurityException.class)
			.isThrownBy(() -> sealer.open(Arrays.copyOf(sealed, 10), bytes("key-1")));
	}

	@Test
	void aKeyOfTheWrongSizeIsRejectedWithoutShowingIt() {
		byte[] shortKey = bytes("0123456789abcdef");
		assertThatIllegalArgumentException().isThrownBy(() -> new AesGcmSealer(shortKey))
			.withMessageContaining("32 bytes")
			.withMessageNotContaining("0123456789abcdef");
	}

	@Test
	void toStringDoesNotShowTheKey() {
		assertThat(new AesGcmSealer(this.key)).hasToString("AesGcmSealer[key=<redacted>]");
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

}
