package dev.dexpace.tokencache;

/**
 * Whom a cached token belongs to.
 *
 * @since 0.1.0
 */
public enum TokenKind {

	/**
	 * A token of the application itself (client_credentials), shared by every user.
	 */
	SYSTEM,

	/**
	 * A token that acts for one user (token-exchange, jwt-bearer), keyed by a digest of
	 * the user's subject token.
	 */
	USER

}
