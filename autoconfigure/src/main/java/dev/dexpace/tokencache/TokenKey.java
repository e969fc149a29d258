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
 * The key of a cached token: registration id, a {@link #clientDigest(String, String)
 * digest of the client's identity}, {@link TokenKind kind}, sorted scopes, audience and,
 * for {@link TokenKind#USER USER} keys, a SHA-256 digest of the subject, and for
 * sender-constrained (DPoP) tokens the JWK thumbprint of the key they are bound to, so
 * that instances with different keys never share a bound token. A key never holds
 * a raw token or a user name, so it is safe to log and to use as a Redis key.
 * <p>
 * The client digest says to whom and by whom a token was issued (client id and token
 * endpoint): two applications that share a cache and reuse a registration id for
 * different clients or identity providers never see each other's tokens, while the
 * instances of one application (same client, same identity provider) share theirs.
 * <p>
 * A value type: two keys with the same components are equal. The hash code is computed
 * once, because every cache lookup needs it.
 *
 * @since 0.1.0
 */
public final class TokenKey {

	private static final HexFormat HEX = HexFormat.of();

	private final String registrationId;

	private final String clientDigest;

	private final TokenKind kind;

	private final List<String> scopes;

	private final @Nullable String audience;

	private final @Nullable String subjectDigest;

	private final @Nullable String keyThumbprint;

	private final int hash;

	/**
	 * Create a key.
	 * @param registrationId the client registration id
	 * @param clientDigest the digest of the client's identity, see
	 * {@link #clientDigest(String, String)}
	 * @param kind whether the token belongs to the application or to a user
	 * @param scopes the requested scopes; kept sorted and without duplicates
	 * @param audience the requested audience, or {@code null} (an empty audience is kept as
	 * {@code null})
	 * @param subjectDigest the hex SHA-256 digest of the subject, {@code null} for system
	 * keys
	 */
	public TokenKey(String registrationId, String clientDigest, TokenKind kind, List<String> scopes,
			@Nullable String audience, @Nullable String subjectDigest) {
		this(registrationId, clientDigest, kind, scopes, audience, subjectDigest, null);
	}

	/**
	 * Create a key for a token bound to a key.
	 * @param registrationId the client registration id
	 * @param clientDigest the digest of the client's identity, see
	 * {@link #clientDigest(String, String)}
	 * @param kind whether the token belongs to the application or to a user
	 * @param scopes the requested scopes; kept sorted and without duplicates
	 * @param audience the requested audience, or {@code null}
	 * @param subjectDigest the hex SHA-256 digest of the subject, {@code null} for system
	 * keys
	 * @param keyThumbprint the JWK thumbprint of the key the token is bound to (DPoP), or
	 * {@code null} for a bearer token
	 */
	public TokenKey(String registrationId, String clientDigest, TokenKind kind, List<String> scopes,
			@Nullable String audience, @Nullable String subjectDigest, @Nullable String keyThumbprint) {
		Objects.requireNonNull(registrationId, "registrationId must not be null");
		Objects.requireNonNull(clientDigest, "clientDigest must not be null");
		Objects.requireNonNull(kind, "kind must not be null");
		if (kind == TokenKind.USER && subjectDigest == null) {
			throw new IllegalArgumentException("A USER key needs a subject digest");
		}
		if (kind == TokenKind.SYSTEM && subjectDigest != null) {
			throw new IllegalArgumentException("A SYSTEM key must not hold a subject digest");
		}
		this.registrationId = registrationId;
		this.clientDigest = clientDigest;
		this.kind = kind;
		this.scopes = scopes.stream().distinct().sorted().toList();
		// An empty audience asks for no audience: one key for both, in memory as in Redis.
		this.audience = (audience != null && audience.isEmpty()) ? null : audience;
		this.subjectDigest = subjectDigest;
		this.keyThumbprint = keyThumbprint;
		this.hash = Objects.hash(registrationId, clientDigest, kind, this.scopes, this.audience, subjectDigest,
				keyThumbprint);
	}

	/**
	 * Return the client registration id.
	 * @return the registration id
	 */
	public String registrationId() {
		return this.registrationId;
	}

	/**
	 * Return the digest of the client's identity.
	 * @return the hex SHA-256 of client id and token endpoint
	 * @see #clientDigest(String, String)
	 */
	public String clientDigest() {
		return this.clientDigest;
	}

	/**
	 * Return whether the token belongs to the application or to a user.
	 * @return the kind
	 */
	public TokenKind kind() {
		return this.kind;
	}

	/**
	 * Return the requested scopes, sorted and without duplicates.
	 * @return the scopes
	 */
	public List<String> scopes() {
		return this.scopes;
	}

	/**
	 * Return the requested audience.
	 * @return the audience, or {@code null}
	 */
	public @Nullable String audience() {
		return this.audience;
	}

	/**
	 * Return the hex SHA-256 digest of the subject.
	 * @return the digest, {@code null} for system keys
	 */
	public @Nullable String subjectDigest() {
		return this.subjectDigest;
	}

	/**
	 * Return the JWK thumbprint of the key the token is bound to.
	 * @return the thumbprint, {@code null} for a bearer token
	 */
	public @Nullable String keyThumbprint() {
		return this.keyThumbprint;
	}

	/**
	 * Return this key for a token bound to the given key.
	 * @param thumbprint the JWK thumbprint of the key, or {@code null} for a bearer token
	 * @return the key
	 */
	public TokenKey withKeyThumbprint(@Nullable String thumbprint) {
		if (Objects.equals(thumbprint, this.keyThumbprint)) {
			return this;
		}
		return new TokenKey(this.registrationId, this.clientDigest, this.kind, this.scopes, this.audience,
				this.subjectDigest, thumbprint);
	}

	@Override
	public boolean equals(@Nullable Object other) {
		if (this == other) {
			return true;
		}
		return other instanceof TokenKey that && this.hash == that.hash && this.kind == that.kind
				&& this.registrationId.equals(that.registrationId) && this.clientDigest.equals(that.clientDigest)
				&& this.scopes.equals(that.scopes)
				&& Objects.equals(this.audience, that.audience)
				&& Objects.equals(this.subjectDigest, that.subjectDigest)
				&& Objects.equals(this.keyThumbprint, that.keyThumbprint);
	}

	@Override
	public int hashCode() {
		return this.hash;
	}

	@Override
	public String toString() {
		return "TokenKey[registrationId=" + this.registrationId + ", clientDigest=" + this.clientDigest + ", kind="
				+ this.kind + ", scopes=" + this.scopes
				+ ", audience=" + this.audience + ", subjectDigest=" + this.subjectDigest
				+ ((this.keyThumbprint != null) ? ", keyThumbprint=" + this.keyThumbprint : "") + "]";
	}

	/**
	 * Create a key for a token of the application itself.
	 * @param registrationId the client registration id
	 * @param clientDigest the digest of the client's identity, see
	 * {@link #clientDigest(String, String)}
	 * @param scopes the requested scopes
	 * @param audience the requested audience, or {@code null}
	 * @return the key
	 */
	public static TokenKey system(String registrationId, String clientDigest, Collection<String> scopes,
			@Nullable String audience) {
		return new TokenKey(registrationId, clientDigest, TokenKind.SYSTEM, List.copyOf(scopes), audience, null);
	}

	/**
	 * Create a key for a token that acts for the user who presented {@code subjectToken}.
	 * Only a digest of the subject token is kept.
	 * @param registrationId the client registration id
	 * @param clientDigest the digest of the client's identity, see
	 * {@link #clientDigest(String, String)}
	 * @param subjectToken the user's subject token (never stored)
	 * @param scopes the requested scopes
	 * @param audience the requested audience, or {@code null}
	 * @return the key
	 */
	public static TokenKey user(String registrationId, String clientDigest, String subjectToken,
			Collection<String> scopes, @Nullable String audience) {
		return new TokenKey(registrationId, clientDigest, TokenKind.USER, List.copyOf(scopes), audience,
				digest(subjectToken));
	}

	/**
	 * Return the digest of a client's identity: who a token is issued to (the client id)
	 * and by whom (the token endpoint). A digest rather than the client id, so that every
	 * key has parts of one length; the client id is not a secret.
	 * @param clientId the client id
	 * @param tokenUri the token endpoint of the identity provider
	 * @return the digest, 64 hex characters
	 */
	public static String clientDigest(String clientId, String tokenUri) {
		// NUL separates the parts: neither can contain it, so two identities never collide.
		return digest(clientId + '\0' + tokenUri);
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
