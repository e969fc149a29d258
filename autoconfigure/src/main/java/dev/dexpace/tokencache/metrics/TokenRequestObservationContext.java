package dev.dexpace.tokencache.metrics;

import dev.dexpace.tokencache.TokenKind;
import io.micrometer.observation.Observation;

/**
 * The context of one token request to the identity provider: registration, tier and,
 * once it ended, its outcome.
 *
 * @since 0.1.0
 */
public class TokenRequestObservationContext extends Observation.Context {

	private final String registrationId;

	private final TokenKind kind;

	private boolean success;

	/**
	 * Create a context.
	 * @param registrationId the client registration id
	 * @param kind the tier of the key
	 */
	public TokenRequestObservationContext(String registrationId, TokenKind kind) {
		this.registrationId = registrationId;
		this.kind = kind;
	}

	public String getRegistrationId() {
		return this.registrationId;
	}

	public TokenKind getKind() {
		return this.kind;
	}

	/**
	 * Return whether the request returned a token; {@code false} while it runs.
	 * @return whether a token was obtained
	 */
	public boolean isSuccess() {
		return this.success;
	}

	/**
	 * Set whether the request returned a token.
	 * @param success whether a token was obtained
	 */
	public void setSuccess(boolean success) {
		this.success = success;
	}

}
