package dev.dexpace.tokencache.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains an {@link InvalidEncryptionKeyException} without showing the key.
 */
class InvalidEncryptionKeyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidEncryptionKeyException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidEncryptionKeyException cause) {
		String remedy = cause.getProperty().contains("previous-encryption-keys")
				? "or remove it from the list if no value sealed with it is left in Redis."
				: "or remove it to store tokens in Redis unencrypted.";
		return new FailureAnalysis(
				"The value of '" + cause.getProperty() + "' (not shown) is not a base64-encoded 256-bit key.",
				"Set '" + cause.getProperty() + "' to 32 random bytes in base64, for example the output of "
						+ "'openssl rand -base64 32', " + remedy,
				cause);
	}

}
