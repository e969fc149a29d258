package dev.dexpace.tokencache.autoconfigure;

/**
 * Thrown when {@code dexpace.token-cache.redis.encryption-key} is not a base64-encoded
 * 256-bit key. Not an {@code InvalidConfigurationPropertyValueException} on purpose:
 * Spring Boot's analyzer of that exception prints the configured value from the
 * environment, and this value is a secret.
 */
final class InvalidEncryptionKeyException extends IllegalStateException {

	private final String property;

	/**
	 * Create an exception.
	 * @param property the full name of the property
	 */
	InvalidEncryptionKeyException(String property) {
		super("Property " + property + " with value '<redacted>' is invalid: "
				+ "must be a base64-encoded 256-bit (32-byte) key");
		this.property = property;
	}

	/**
	 * Return the full name of the property.
	 * @return the property name
	 */
	String getProperty() {
		return this.property;
	}

}
