package dev.dexpace.tokencache.redis;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import org.apache.commons.logging.Log;
import org.jspecify.annotations.Nullable;

/**
 * The binary form of a {@link CachedToken} in Redis.
 * <p>
 * A value starts with a header: a magic byte, a format version and the body kind (plain
 * or sealed). The body holds the absolute expiry and issued-at in epoch milliseconds, the
 * token type, the scopes and the token value, each string length-prefixed UTF-8.
 * <ul>
 * <li>Version 1, plain: the three-byte header, then the body.</li>
 * <li>Version 1, sealed (written before key rotation existed, still read): the three-byte
 * header, then the body encrypted with AES-GCM, bound to the header and the Redis
 * key.</li>
 * <li>Version 2, sealed (written now): the header carries the {@linkplain AesGcmSealer#keyId()
 * key id} after the kind, so a reader with several keys tries the right one; the body is
 * bound to that whole header and the Redis key.</li>
 * </ul>
 * Plain values are still written as version 1, so that an instance of an older version of
 * this library reads them; it takes a version 2 value for one of a newer version and
 * leaves it alone.
 * <p>
 * A codec seals with one key, or none, and opens with that key and any number of previous
 * keys: it never seals with a previous key. Decoding never throws. A value can be:
 * <ul>
 * <li>{@link Token}: it decoded and, when sealed, opened;</li>
 * <li>{@link Unsupported}: a newer format version, written by a newer instance during a
 * rolling upgrade;</li>
 * <li>{@link Unreadable}: it may be valid for another instance of the fleet, but not for
 * this codec: sealed under a key it does not have, or plain while it seals (with
 * encryption on, a value that no known key sealed is never served);</li>
 * <li>{@link Corrupt}: it cannot be a value of any instance: not ours, a bad header, a
 * malformed body, or sealed under one of our keys and altered.</li>
 * </ul>
 * Only a corrupt value is worth deleting; the others are left to their TTL.
 */
final class TokenValueCodec {

	/**
	 * First byte of every value; not a printable character, so a string some other tool
	 * wrote under our prefix is never taken for a value of ours.
	 */
	static final byte MAGIC = (byte) 0xDC;

	/**
	 * Plain values, and sealed values without a key id.
	 */
	static final byte V1 = 1;

	/**
	 * Sealed values with the key id in the header.
	 */
	static final byte V2 = 2;

	/**
	 * The newest format version this codec reads.
	 */
	static final byte VERSION = V2;

	static final byte PLAIN = 0;

	static final byte SEALED = 1;

	private static final int V1_HEADER_BYTES = 3;

	private static final int V2_HEADER_BYTES = V1_HEADER_BYTES + AesGcmSealer.KEY_ID_BYTES;

	private static final long NO_ISSUED_AT = Long.MIN_VALUE;

	// Generous bounds that stop a corrupt length prefix from allocating a huge array.
	private static final int MAX_STRING_BYTES = 1 << 20;

	private static final int MAX_SCOPES = 1024;

	private final @Nullable AesGcmSealer sealer;

	private final List<AesGcmSealer> openers;

	/**
	 * Create a codec that reads only what it writes.
	 * @param sealer seals values, or {@code null} to store them plain
	 */
	TokenValueCodec(@Nullable AesGcmSealer sealer) {
		this(sealer, List.of());
	}

	/**
	 * Create a codec.
	 * @param sealer seals values, or {@code null} to store them plain
	 * @param previous sealers of keys that are still read, never used to seal
	 */
	TokenValueCodec(@Nullable AesGcmSealer sealer, List<AesGcmSealer> previous) {
		this.sealer = sealer;
		List<AesGcmSealer> openers = new ArrayList<>(previous.size() + 1);
		if (sealer != null) {
			openers.add(sealer);
		}
		openers.addAll(previous);
		this.openers = List.copyOf(openers);
	}

	/**
	 * Create a codec from raw keys.
	 * @param encryptionKey the key to seal with, or {@code null} to store values plain
	 * @param previousKeys keys that are still read, never used to seal
	 * @return the codec
	 */
	static TokenValueCodec of(byte @Nullable [] encryptionKey, List<byte[]> previousKeys) {
		return new TokenValueCodec((encryptionKey != null) ? new AesGcmSealer(encryptionKey) : null,
				previousKeys.stream().map(AesGcmSealer::new).toList());
	}

	/**
	 * Encode a token for the given Redis key.
	 * @param redisKey the key the value is stored under (sealed values are bound to it)
	 * @param token the token
	 * @return the value
	 */
	byte[] encode(String redisKey, CachedToken token) {
		return encode(redisKey, token, null);
	}

	/**
	 * Encode a token for the given Redis key, recording the thumbprint of the key a DPoP
	 * token is bound to after the token value. Only a bound token's Redis key (whose
	 * digest covers the thumbprint) holds such a value, so a reader of an earlier release
	 * never meets one.
	 * @param redisKey the key the value is stored under (sealed values are bound to it)
	 * @param token the token
	 * @param keyThumbprint the JWK thumbprint of the key the token is bound to, or
	 * {@code null} for a bearer token
	 * @return the value
	 */
	byte[] encode(String redisKey, CachedToken token, @Nullable String keyThumbprint) {
		byte[] body = body(token, keyThumbprint);
		if (this.sealer == null) {
			return ByteBuffer.allocate(V1_HEADER_BYTES + body.length)
				.put(MAGIC)
				.put(V1)
				.put(PLAIN)
				.put(body)
				.array();
		}
		byte[] header = ByteBuffer.allocate(V2_HEADER_BYTES)
			.put(MAGIC)
			.put(V2)
			.put(SEALED)
			.put(this.sealer.keyId())
			.array();
		byte[] sealed = this.sealer.seal(body, associatedData(header, redisKey));
		return ByteBuffer.allocate(header.length + sealed.length).put(header).put(sealed).array();
	}

	/**
	 * Decode a value read from the given Redis key.
	 * @param redisKey the key the value was read from
	 * @param value the value
	 * @return the outcome, never {@code null}
	 */
	Decoded decode(String redisKey, byte[] value) {
		if (value.length < V1_HEADER_BYTES || value[0] != MAGIC) {
			return new Corrupt("not a token cache value");
		}
		byte version = value[1];
		byte kind = value[2];
		if (version > VERSION) {
			return new Unsupported(version);
		}
		if (version == V1 && kind == PLAIN) {
			// With encryption on, a value that no known key sealed is never served. It may
			// be an instance's that has not turned encryption on yet: leave it.
			return (this.sealer != null) ? new Unreadable("plain value, but encryption is on")
					: readBody(value, V1_HEADER_BYTES);
		}
		if (version == V1 && kind == SEALED) {
			return openWithoutKeyId(redisKey, value);
		}
		if (version == V2 && kind == SEALED) {
			return (value.length >= V2_HEADER_BYTES) ? openWithKeyId(redisKey, value)
					: new Corrupt("truncated header");
		}
		return new Corrupt("unknown version " + version + " or body kind " + kind);
	}

	/**
	 * Open a version 1 sealed value, which does not say which key sealed it: try every
	 * key. None opening it may mean another instance's key as well as damage.
	 */
	private Decoded openWithoutKeyId(String redisKey, byte[] value) {
		if (this.openers.isEmpty()) {
			return new Unreadable("sealed value, but no encryption key is configured");
		}
		byte[] associatedData = associatedData(Arrays.copyOf(value, V1_HEADER_BYTES), redisKey);
		byte[] sealed = Arrays.copyOfRange(value, V1_HEADER_BYTES, value.length);
		for (AesGcmSealer opener : this.openers) {
			try {
				return readBody(opener.open(sealed, associatedData), 0);
			}
			catch (GeneralSecurityException ex) {
				// try the next key
			}
		}
		return new Unreadable("sealed value does not open with any configured key");
	}

	/**
	 * Open a version 2 sealed value with the keys whose id it carries. A value that one of
	 * our keys sealed and that does not open was altered (or copied from another Redis
	 * key): corrupt. A value of a key we do not have belongs to another instance.
	 */
	private Decoded openWithKeyId(String redisKey, byte[] value) {
		byte[] associatedData = associatedData(Arrays.copyOf(value, V2_HEADER_BYTES), redisKey);
		byte[] sealed = Arrays.copyOfRange(value, V2_HEADER_BYTES, value.length);
		boolean known = false;
		for (AesGcmSealer opener : this.openers) {
			if (opener.hasKeyId(value, V1_HEADER_BYTES)) {
				known = true;
				try {
					return readBody(opener.open(sealed, associatedData), 0);
				}
				catch (GeneralSecurityException ex) {
					// Two keys may share an id: try the next one that has it.
				}
			}
		}
		if (known) {
			return new Corrupt("sealed value does not open");
		}
		return new Unreadable((this.openers.isEmpty()) ? "sealed value, but no encryption key is configured"
				: "sealed with a key this instance does not have");
	}

	/**
	 * Log a value the codec could not open: the first one at INFO, since during a rolling
	 * change of the encryption settings it is expected, and the next ones at DEBUG.
	 * @param logger the cache's logger
	 * @param count how many unreadable values the cache has seen, this one included
	 * @param redisKey the key of the value
	 * @param unreadable the outcome
	 */
	static void logUnreadable(Log logger, long count, String redisKey, Unreadable unreadable) {
		if (count == 1 || logger.isDebugEnabled()) {
			String message = "Leaving a value under " + redisKey + " to its TTL that this instance cannot read ("
					+ unreadable.reason() + "); another instance with other encryption settings may have written it";
			if (count == 1) {
				logger.info(message + "; further ones are logged at DEBUG");
			}
			else {
				logger.debug(message);
			}
		}
	}

	/**
	 * Return whether values are sealed.
	 * @return whether an encryption key is configured
	 */
	boolean isSealing() {
		return this.sealer != null;
	}

	private static byte[] associatedData(byte[] header, String redisKey) {
		byte[] key = redisKey.getBytes(StandardCharsets.UTF_8);
		return ByteBuffer.allocate(header.length + key.length).put(header).put(key).array();
	}

	private static byte[] body(CachedToken token, @Nullable String keyThumbprint) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + token.tokenValue().length());
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			out.writeLong(token.expiresAt().toEpochMilli());
			Instant issuedAt = token.issuedAt();
			out.writeLong((issuedAt != null) ? issuedAt.toEpochMilli() : NO_ISSUED_AT);
			writeString(out, token.tokenType());
			out.writeInt(token.scopes().size());
			for (String scope : token.scopes()) {
				writeString(out, scope);
			}
			writeString(out, token.tokenValue());
			if (keyThumbprint != null) {
				writeString(out, keyThumbprint);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return bytes.toByteArray();
	}

	private static void writeString(DataOutputStream out, String value) throws IOException {
		byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
		out.writeInt(utf8.length);
		out.write(utf8);
	}

	private static Decoded readBody(byte[] body, int offset) {
		try {
			ByteBuffer in = ByteBuffer.wrap(body, offset, body.length - offset);
			Instant expiresAt = Instant.ofEpochMilli(in.getLong());
			long issuedAtMillis = in.getLong();
			Instant issuedAt = (issuedAtMillis != NO_ISSUED_AT) ? Instant.ofEpochMilli(issuedAtMillis) : null;
			String tokenType = readString(in);
			int scopeCount = in.getInt();
			if (scopeCount < 0 || scopeCount > MAX_SCOPES) {
				return new Corrupt("bad scope count");
			}
			Set<String> scopes = new LinkedHashSet<>();
			for (int i = 0; i < scopeCount; i++) {
				scopes.add(readString(in));
			}
			String tokenValue = readString(in);
			String keyThumbprint = in.hasRemaining() ? readString(in) : null;
			if (in.hasRemaining()) {
				return new Corrupt("trailing bytes");
			}
			return new Token(new CachedToken(tokenValue, tokenType, scopes, issuedAt, expiresAt), keyThumbprint);
		}
		catch (BufferUnderflowException | IllegalArgumentException | CharacterCodingException
				| DateTimeException ex) {
			return new Corrupt("malformed body");
		}
	}

	private static String readString(ByteBuffer in) throws CharacterCodingException {
		int length = in.getInt();
		if (length < 0 || length > MAX_STRING_BYTES || length > in.remaining()) {
			throw new IllegalArgumentException("bad string length");
		}
		ByteBuffer slice = in.slice();
		slice.limit(length);
		in.position(in.position() + length);
		return StandardCharsets.UTF_8.newDecoder()
			.onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT)
			.decode(slice)
			.toString();
	}

	/**
	 * The outcome of decoding a value.
	 */
	sealed interface Decoded permits Token, Unsupported, Unreadable, Corrupt {

	}

	/**
	 * A token.
	 * @param token the token
	 * @param keyThumbprint the thumbprint of the key a DPoP token is bound to, or
	 * {@code null}
	 */
	record Token(CachedToken token, @Nullable String keyThumbprint) implements Decoded {

		Token(CachedToken token) {
			this(token, null);
		}

	}

	/**
	 * A value of a newer format version than this codec reads.
	 * @param version the version
	 */
	record Unsupported(int version) implements Decoded {

	}

	/**
	 * A value that may be valid for another instance of the fleet, but that this codec
	 * does not open: sealed under a key it does not have, or plain while it seals. Not to
	 * be deleted: the instance that wrote it may still be using it; its TTL bounds it. The
	 * reason never holds any part of the value.
	 * @param reason why the value was not read
	 */
	record Unreadable(String reason) implements Decoded {

	}

	/**
	 * A value that cannot be a valid token cache value of any instance; the reason never
	 * holds any part of the value.
	 * @param reason why the value was rejected
	 */
	record Corrupt(String reason) implements Decoded {

	}

}
