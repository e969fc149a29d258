package dev.dexpace.tokencache.redis;

import java.util.Locale;

import dev.dexpace.tokencache.TokenKey;

/**
 * The layout of our Redis keys:
 * {@code <prefix><kind>:<registrationId>:<digest>}, where {@code kind} is {@code system}
 * or {@code user} and {@code digest} is the hex SHA-256 of the registration id, scopes,
 * audience and, for user keys, the digest of the subject. A key never holds a token, a
 * user name or a subject token.
 */
final class RedisKeys {

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
		String subject = (key.subjectDigest() != null) ? key.subjectDigest() : "";
		String audience = (key.audience() != null) ? key.audience() : "";
		// NUL separates the parts: none of them can contain it, so two keys never collide.
		String identity = key.registrationId() + '\0' + String.join(" ", key.scopes()) + '\0' + audience + '\0'
				+ subject;
		return this.prefix + key.kind().name().toLowerCase(Locale.ROOT) + ':' + key.registrationId() + ':'
				+ TokenKey.digest(identity);
	}

	/**
	 * Return a SCAN {@code MATCH} pattern for every key under the prefix, with the glob
	 * characters of the prefix escaped.
	 * @return the pattern
	 */
	String pattern() {
		StringBuilder pattern = new StringBuilder(this.prefix.length() + 2);
		for (char c : this.prefix.toCharArray()) {
			if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
				pattern.append('\\');
			}
			pattern.append(c);
		}
		return pattern.append('*').toString();
	}

	String prefix() {
		return this.prefix;
	}

}
