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
import java.util.LinkedHashSet;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import org.jspecify.annotations.Nullable;

/**
 * The binary form of a {@link CachedToken} in Redis.
 * <p>
 * A value starts with a three-byte header: a magic byte, a format version and the body
 * kind (plain or sealed). The body holds the absolute expiry and issued-at in epoch
 * milliseconds, the token type, the scopes and the token value, each string
 * length-prefixed UTF-8. A sealed body is that same body encrypted with AES-GCM, bound to
 * the header and the Redis key.
 * <p>
 * Decoding never throws: a value with our magic byte and a newer version is
 * {@link Unsupported} (a newer instance wrote it during a rolling upgrade: leave it to
 * its TTL), anything else that does not decode is {@link Corrupt}.
 */
final class TokenValueCodec {

	/**
	 * First byte of every value; not a printable character, so a string some other tool
	 * wrote under our prefix is never taken for a value of ours.
	 */
	static final byte MAGIC = (byte) 0xDC;

	/**
	 * The format version this codec writes and reads.
	 */
	static final byte VERSION = 1;

	static final byte PLAIN = 0;

	static final byte SEALED = 1;

	private static final int HEADER_BYTES = 3;

	private static final long NO_ISSUED_AT = Long.MIN_VALUE;

	// Generous bounds that stop a corrupt length prefix from allocating a huge array.
	private static final int MAX_STRING_BYTES = 1 << 20;

	private static final int MAX_SCOPES = 1024;

	private final @Nullable AesGcmSealer sealer;

	/**
	 * Create a codec.
	 * @param sealer seals values, or {@code null} to store them plain
	 */
	TokenValueCodec(@Nullable AesGcmSealer sealer) {
		this.sealer = sealer;
	}

	/**
	 * Encode a token for the given Redis key.
	 * @param redisKey the key the value is stored under (sealed values are bound to it)
	 * @param token the token
	 * @return the value
	 */
	byte[] encode(String redisKey, CachedToken token) {
		byte[] body = body(token);
		if (this.sealer == null) {
			return ByteBuffer.allocate(HEADER_BYTES + body.length).put(header(PLAIN)).put(body).array();
		}
		byte[] header = header(SEALED);
		byte[] sealed = this.sealer.seal(body, associatedData(header, redisKey));
		return ByteBuffer.allocate(HEADER_BYTES + sealed.length).put(header).put(sealed).array();
	}

	/**
	 * Decode a value read from the given Redis key.
	 * @param redisKey the key the value was read from
	 * @param value the value
	 * @return the outcome, never {@code null}
	 */
	Decoded decode(String redisKey, byte[] value) {
		if (value.length < HEADER_BYTES || value[0] != MAGIC) {
			return new Corrupt("not a token cache value");
		}
		if (value[1] > VERSION) {
			return new Unsupported(value[1]);
		}
		if (value[1] != VERSION) {
			return new Corrupt("unknown version " + value[1]);
		}
		byte kind = value[2];
		if (kind == SEALED && this.sealer == null) {
			return new Corrupt("sealed value, but no encryption key is configured");
		}
		if (kind == PLAIN && this.sealer != null) {
			// With encryption on, a plain value was not written by us: never serve it.
			return new Corrupt("plain value, but encryption is required");
		}
		if (kind != PLAIN && kind != SEALED) {
			return new Corrupt("unknown body kind " + kind);
		}
		byte[] body = new byte[value.length - HEADER_BYTES];
		System.arraycopy(value, HEADER_BYTES, body, 0, body.length);
		if (this.sealer != null) {
			try {
				body = this.sealer.open(body, associatedData(new byte[] { value[0], value[1], value[2] }, redisKey));
			}
			catch (GeneralSecurityException ex) {
				return new Corrupt("sealed value does not open");
			}
		}
		return readBody(body);
	}

	/**
	 * Return whether values are sealed.
	 * @return whether an encryption key is configured
	 */
	boolean isSealing() {
		return this.sealer != null;
	}

	private static byte[] header(byte kind) {
		return new byte[] { MAGIC, VERSION, kind };
	}

	private static byte[] associatedData(byte[] header, String redisKey) {
		byte[] key = redisKey.getBytes(StandardCharsets.UTF_8);
		return ByteBuffer.allocate(header.length + key.length).put(header).put(key).array();
	}

	private static byte[] body(CachedToken token) {
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

	private static Decoded readBody(byte[] body) {
		try {
			ByteBuffer in = ByteBuffer.wrap(body);
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
			if (in.hasRemaining()) {
				return new Corrupt("trailing bytes");
			}
			return new Token(new CachedToken(tokenValue, tokenType, scopes, issuedAt, expiresAt));
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
	sealed interface Decoded permits Token, Unsupported, Corrupt {

	}

	/**
	 * A token.
	 * @param token the token
	 */
	record Token(CachedToken token) implements Decoded {

	}

	/**
	 * A value of a newer format version than this codec reads.
	 * @param version the version
	 */
	record Unsupported(int version) implements Decoded {

	}

	/**
	 * A value that is not a valid token cache value for this codec; the reason never
	 * holds any part of the value.
	 * @param reason why the value was rejected
	 */
	record Corrupt(String reason) implements Decoded {

	}

}
