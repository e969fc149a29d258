package dev.dexpace.tokencache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The key of a cached token: registration id, {@link TokenKind kind}, sorted scopes,
 * audience and, for {@link TokenKind#USER USER} keys, a SHA-256 digest of the subject.
 * A key never holds a raw token or a user name, so it is safe to log and to use as a
 * Redis key.
 *
 * @param registrationId the client registration id
 * @param kind whether the token belongs to the application or to a user
 * @param scopes the requested scopes, sorted and without duplicates
 * @param audience the requested audience, or {@code null} (an empty audience is stored as
 * {@code null})
 * @param subjectDigest the hex SHA-256 digest of the subject, {@code null} for system keys
 * @since 0.1.0
 */
public record TokenKey(String registrationId, TokenKind kind, List<String> scopes, @Nullable String audience,
		@Nullable String subjectDigest) {

	private static final HexFormat HEX = HexFormat.of();

	public TokenKey {
		Objects.requireNonNull(registrationId, "registrationId must not be null");
		Objects.requireNonNull(kind, "kind must not be null");
		scopes = scopes.stream().distinct().sorted().toList();
		// An empty audience asks for no audience: one key for both, in memory as in Redis.
		audience = (audience != null && audience.isEmpty()) ? null : audience;
		if (kind == TokenKind.USER && subjectDigest == null) {
			throw new IllegalArgumentException("A USER key needs a subject digest");
		}
		if (kind == TokenKind.SYSTEM && subjectDigest != null) {
			throw new IllegalArgumentException("A SYSTEM key must not hold a subject digest");
		}
	}

	/**
	 * Create a key for a token of the application itself.
	 * @param registrationId the client registration id
	 * @param scopes the requested scopes
	 * @param audience the requested audience, or {@code null}
	 * @return the key
	 */
	public static TokenKey system(String registrationId, Collection<String> scopes, @Nullable String audience) {
		return new TokenKey(registrationId, TokenKind.SYSTEM, List.copyOf(scopes), audience, null);
	}

	/**
	 * Create a key for a token that acts for the user who presented {@code subjectToken}.
	 * Only a digest of the subject token is kept.
	 * @param registrationId the client registration id
	 * @param subjectToken the user's subject token (never stored)
	 * @param scopes the requested scopes
	 * @param audience the requested audience, or {@code null}
	 * @return the key
	 */
	public static TokenKey user(String registrationId, String subjectToken, Collection<String> scopes,
			@Nullable String audience) {
		return new TokenKey(registrationId, TokenKind.USER, List.copyOf(scopes), audience, digest(subjectToken));
	}

	/**
	 * Return the hex SHA-256 digest of the given value.
	 * @param value the value
	 * @return the digest, 64 hex characters
	 */
	public static String digest(String value) {
		try {
			MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
			return HEX.formatHex(sha256.digest(value.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

}
