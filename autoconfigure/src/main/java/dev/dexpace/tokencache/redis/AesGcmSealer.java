package dev.dexpace.tokencache.redis;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals values with AES-256-GCM. Every value gets a fresh random 96-bit nonce, stored in
 * front of the ciphertext; the caller's associated data (the Redis key) is authenticated
 * but not stored, so a value copied to another key does not open.
 */
final class AesGcmSealer {

	/**
	 * The only key size accepted: 256 bits.
	 */
	static final int KEY_BYTES = 32;

	private static final String TRANSFORMATION = "AES/GCM/NoPadding";

	private static final int NONCE_BYTES = 12;

	private static final int TAG_BITS = 128;

	private final SecretKeySpec key;

	private final SecureRandom random = new SecureRandom();

	/**
	 * Create a sealer.
	 * @param key the 256-bit key; copied
	 * @throws IllegalArgumentException if the key is not 32 bytes long (the message never
	 * shows the key)
	 */
	AesGcmSealer(byte[] key) {
		if (key.length != KEY_BYTES) {
			throw new IllegalArgumentException(
					"The encryption key must be " + KEY_BYTES + " bytes (256 bits), not " + key.length + " bytes");
		}
		this.key = new SecretKeySpec(key.clone(), "AES");
	}

	/**
	 * Encrypt and authenticate.
	 * @param plaintext the value to seal
	 * @param associatedData data the value is bound to
	 * @return the nonce followed by the ciphertext and tag
	 */
	byte[] seal(byte[] plaintext, byte[] associatedData) {
		byte[] nonce = new byte[NONCE_BYTES];
		this.random.nextBytes(nonce);
		try {
			Cipher cipher = Cipher.getInstance(TRANSFORMATION);
			cipher.init(Cipher.ENCRYPT_MODE, this.key, new GCMParameterSpec(TAG_BITS, nonce));
			cipher.updateAAD(associatedData);
			byte[] ciphertext = cipher.doFinal(plaintext);
			return ByteBuffer.allocate(NONCE_BYTES + ciphertext.length).put(nonce).put(ciphertext).array();
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("AES-GCM is not available", ex);
		}
	}

	/**
	 * Decrypt and verify.
	 * @param sealed a value produced by {@link #seal}
	 * @param associatedData the data the value must be bound to
	 * @return the plaintext
	 * @throws GeneralSecurityException if the value was tampered with, sealed with another
	 * key or bound to other data
	 */
	byte[] open(byte[] sealed, byte[] associatedData) throws GeneralSecurityException {
		if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
			throw new GeneralSecurityException("Sealed value is too short");
		}
		Cipher cipher = Cipher.getInstance(TRANSFORMATION);
		cipher.init(Cipher.DECRYPT_MODE, this.key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
		cipher.updateAAD(associatedData);
		return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
	}

	@Override
	public String toString() {
		return "AesGcmSealer[key=<redacted>]";
	}

}
