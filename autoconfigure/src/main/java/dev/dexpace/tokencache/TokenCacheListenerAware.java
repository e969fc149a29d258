package dev.dexpace.tokencache;

/**
 * A part of the token cache that reports to a {@link TokenCacheListener}. The
 * auto-configuration hands every such bean the application's listeners once at start-up.
 *
 * @since 0.1.0
 */
public interface TokenCacheListenerAware {

	/**
	 * Set the listener to report to, replacing the previous one.
	 * @param listener the listener, {@link TokenCacheListener#NONE} for none
	 */
	void setListener(TokenCacheListener listener);

}
