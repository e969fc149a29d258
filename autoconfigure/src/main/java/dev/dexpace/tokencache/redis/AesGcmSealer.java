package dev.dexpace.tokencache.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals values with AES-256-GCM. Every value gets a fresh random 96-bit nonce, stored in
 * front of the ciphertext; the caller's associated data (the Redis key) is authenticated
 * but not stored, so a value copied to another key does not open.
 * <p>
 * A sealer has a short {@linkplain #keyId() key id}, derived from the key by a one-way
 * hash, that a value carries so that a reader with several keys tries the right one.
 */
final class AesGcmSealer {

	/**
	 * The only key size accepted: 256 bits.
	 */
	static final int KEY_BYTES = 32;

	private static final String TRANSFORMATION = "AES/GCM/NoPadding";

	private static final int NONCE_BYTES = 12;

	private static final int TAG_BITS = 128;

	/**
	 * Length of a key id.
	 */
	static final int KEY_ID_BYTES = 4;

	// Keeps the key id apart from any other hash of the same key.
	private static final byte[] KEY_ID_CONTEXT = "dexpace token cache key id\0".getBytes(StandardCharsets.US_ASCII);

	private final SecretKeySpec key;

	private final byte[] keyId;

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
		this.keyId = keyId(key);
	}

	/**
	 * The first bytes of a SHA-256 of the key: enough to tell a handful of configured keys
	 * apart, and nothing about the key itself.
	 */
	private static byte[] keyId(byte[] key) {
		try {
			MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
			sha256.update(KEY_ID_CONTEXT);
			return Arrays.copyOf(sha256.digest(key), KEY_ID_BYTES);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

	/**
	 * Return the id of the key, stored in the header of the values it seals.
	 * @return a copy of the {@value #KEY_ID_BYTES}-byte key id
	 */
	byte[] keyId() {
		return this.keyId.clone();
	}

	/**
	 * Return whether the given bytes, at the given offset, are the id of this key.
	 * @param bytes the bytes to look at
	 * @param offset where the key id starts
	 * @return whether they are this sealer's key id
	 */
	boolean hasKeyId(byte[] bytes, int offset) {
		return bytes.length >= offset + KEY_ID_BYTES
				&& Arrays.equals(bytes, offset, offset + KEY_ID_BYTES, this.keyId, 0, KEY_ID_BYTES);
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
