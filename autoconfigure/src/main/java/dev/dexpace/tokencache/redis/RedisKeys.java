package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.jspecify.annotations.Nullable;

/**
 * The layout of our Redis keys:
 * {@code <prefix><kind>:<registrationId>:<digest>}, where {@code kind} is {@code system}
 * or {@code user} and {@code digest} is the hex SHA-256 of the registration id, the
 * client's identity (client id and token endpoint), scopes, audience and, for user keys,
 * the digest of the subject ({@link TokenCacheEntry#keyDigest(TokenKey)}). A key never
 * holds a token, a user name or a subject token. Two applications that reuse a
 * registration id for another client or identity provider get other keys.
 * <p>
 * A registration id may itself hold {@code :} (the digest is everything after the last
 * one, and always 64 characters long), so the keys of registration {@code a} are told
 * from those of {@code a:b} by the length of what follows {@code a:}.
 * <p>
 * The fetch lease of a key is {@code <prefix>lock:<kind>:<registrationId>:<digest>},
 * invalidations are published on the channel {@code <prefix>invalidate}, and the wait a
 * token endpoint announced ({@code Retry-After}) is {@code <prefix>backoff:<digest>}, the
 * hex SHA-256 of its token URI.
 */
final class RedisKeys {

	/**
	 * A bound for application keys a custom key resolver might mint per call.
	 */
	static final int MAX_REMEMBERED = 1024;

	/**
	 * The length of the digest that ends every key: hex SHA-256.
	 */
	private static final int DIGEST_LENGTH = 64;

	private static final String ANY_DIGEST = "?".repeat(DIGEST_LENGTH);

	private final ConcurrentMap<TokenKey, String> systemKeys = new ConcurrentHashMap<>();

	private final String prefix;

	RedisKeys(String prefix) {
		if (prefix.isBlank()) {
			throw new IllegalArgumentException("The key prefix must not be blank");
		}
		this.prefix = prefix;
	}

	/**
	 * Return the Redis key of a token key.
	 * @param key the token key
	 * @return the Redis key
	 */
	String of(TokenKey key) {
		if (key.kind() != TokenKind.SYSTEM) {
			return build(key);
		}
		// An application key is asked for on every call: hash it once (a SHA-256 costs
		// more than a near-cache hit). User keys, one per user, are not remembered.
		String known = this.systemKeys.get(key);
		if (known != null) {
			return known;
		}
		String built = build(key);
		if (this.systemKeys.size() < MAX_REMEMBERED) {
			this.systemKeys.put(key, built);
		}
		return built;
	}

	private String build(TokenKey key) {
		return this.prefix + key.kind().name().toLowerCase(Locale.ROOT) + ':' + key.registrationId() + ':'
				+ TokenCacheEntry.keyDigest(key);
	}

	/**
	 * Return the Redis key of the fetch lease of a token key. It is not a token key:
	 * {@link #parse(String)} rejects it, and {@code deleteRegistration} does not match it.
	 * @param key the token key
	 * @return the Redis key of the lease
	 */
	String lockOf(TokenKey key) {
		return this.prefix + "lock:" + of(key).substring(this.prefix.length());
	}

	/**
	 * Return the Redis key of the wait a token endpoint announced. It is not a token key:
	 * {@link #parse(String)} rejects it.
	 * @param tokenUri the token endpoint
	 * @return the Redis key
	 */
	String backoffOf(String tokenUri) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(tokenUri.getBytes(StandardCharsets.UTF_8));
			return this.prefix + "backoff:" + HexFormat.of().formatHex(digest);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

	/**
	 * Return the pub/sub channel that carries invalidations to near caches.
	 * @return the channel
	 */
	String invalidationChannel() {
		return this.prefix + "invalidate";
	}

	/**
	 * Split one of our Redis keys into kind, registration id and digest.
	 * @param redisKey the Redis key
	 * @return the parts, or {@code null} if the key is not laid out as ours
	 */
	@Nullable Parsed parse(String redisKey) {
		if (!redisKey.startsWith(this.prefix)) {
			return null;
		}
		String rest = redisKey.substring(this.prefix.length());
		int kindEnd = rest.indexOf(':');
		int digestStart = rest.lastIndexOf(':');
		if (kindEnd <= 0 || digestStart <= kindEnd + 1 || rest.length() - digestStart - 1 != DIGEST_LENGTH) {
			return null;
		}
		TokenKind kind = switch (rest.substring(0, kindEnd)) {
			case "system" -> TokenKind.SYSTEM;
			case "user" -> TokenKind.USER;
			default -> null;
		};
		if (kind == null) {
			return null;
		}
		return new Parsed(kind, rest.substring(kindEnd + 1, digestStart), rest.substring(digestStart + 1));
	}

	/**
	 * Return a SCAN {@code MATCH} pattern for the keys of one kind and registration, and
	 * of no other registration: glob characters of prefix and registration id are
	 * escaped, and the pattern ends in exactly one digest's length of {@code ?}, so
	 * {@code a} does not match the keys of {@code a:b}, whose tail after {@code a:} is
	 * longer.
	 * @param kind the kind
	 * @param registrationId the client registration id
	 * @return the pattern
	 */
	String pattern(TokenKind kind, String registrationId) {
		return escape(this.prefix + kind.name().toLowerCase(Locale.ROOT) + ':' + registrationId + ':') + ANY_DIGEST;
	}

	/**
	 * Return a SCAN {@code MATCH} pattern for the token keys of one kind, of every
	 * registration: a registration id and a digest (fetch leases sit under {@code lock:}
	 * and do not match).
	 * @param kind the kind
	 * @return the pattern
	 */
	String pattern(TokenKind kind) {
		return escape(this.prefix + kind.name().toLowerCase(Locale.ROOT) + ':') + "*:" + ANY_DIGEST;
	}

	/**
	 * Return a SCAN {@code MATCH} pattern for every key under the prefix, with the glob
	 * characters of the prefix escaped.
	 * @return the pattern
	 */
	String pattern() {
		return escape(this.prefix) + '*';
	}

	private static String escape(String literal) {
		StringBuilder pattern = new StringBuilder(literal.length() + 2);
		for (char c : literal.toCharArray()) {
			if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
				pattern.append('\\');
			}
			pattern.append(c);
		}
		return pattern.toString();
	}

	String prefix() {
		return this.prefix;
	}

	/**
	 * The parts of one of our Redis keys.
	 *
	 * @param kind the kind
	 * @param registrationId the client registration id
	 * @param digest the key digest
	 */
	record Parsed(TokenKind kind, String registrationId, String digest) {

	}

}
