package dev.dexpace.tokencache;

import java.util.List;

/**
 * Told what the token cache does, so that metrics can be kept without the cache knowing
 * about them. The caching manager reports lookups, skipped token requests, lease waits
 * and invalidations; caches that implement {@link TokenCacheListenerAware} report
 * evictions and backend errors. Token requests themselves are observations on the
 * managers' {@code ObservationRegistry}, not events.
 * <p>
 * Callbacks run on the calling thread, {@link #lookup(TokenKind, boolean) lookup} on
 * every cached call: implementations must be fast, must not allocate per call where they
 * can avoid it, and must not throw. Every method does nothing by default.
 *
 * @since 0.1.0
 */
public interface TokenCacheListener {

	/**
	 * A listener that does nothing.
	 */
	TokenCacheListener NONE = new TokenCacheListener() {

		@Override
		public String toString() {
			return "TokenCacheListener.NONE";
		}

	};

	/**
	 * A caller looked a token up in the cache.
	 * @param kind the tier of the key
	 * @param hit whether a usable token was found
	 */
	default void lookup(TokenKind kind, boolean hit) {
	}

	/**
	 * A token request was not sent: the token endpoint is in backoff after a failure (see
	 * {@code TokenEndpointBackoff}), and the caller failed at once with the error that
	 * says why, or was served its last token.
	 * @param registrationId the client registration id
	 * @param kind the tier of the key
	 * @param reason why the token request was skipped
	 * @since 0.1.0
	 */
	default void tokenRequestSkipped(String registrationId, TokenKind kind, SkipReason reason) {
	}

	/**
	 * A caller found the fleet-wide lease of a missing key held by another instance (see
	 * {@link TokenFetchLock}) and waited for it.
	 * @param kind the tier of the key
	 * @param outcome how the wait ended
	 * @since 0.1.0
	 */
	default void leaseWaited(TokenKind kind, LeaseWaitOutcome outcome) {
	}

	/**
	 * A cached token was deleted, or asked to be deleted, for a reason other than its
	 * expiry or the bound of the cache.
	 * @param kind the tier of the key
	 * @param cause why
	 */
	default void invalidated(TokenKind kind, InvalidationCause cause) {
	}

	/**
	 * The cache dropped a token on its own.
	 * @param kind the tier of the key
	 * @param cause why
	 */
	default void evicted(TokenKind kind, EvictionCause cause) {
	}

	/**
	 * An operation of the cache backend failed or timed out; the call went on without the
	 * cache.
	 * @param operation {@code get}, {@code put} or {@code delete}
	 */
	default void cacheError(String operation) {
	}

	/**
	 * Return a listener that tells every given listener, in order.
	 * @param listeners the listeners
	 * @return the listener; {@link #NONE} for none, the listener itself for one
	 */
	static TokenCacheListener of(List<? extends TokenCacheListener> listeners) {
		if (listeners.isEmpty()) {
			return NONE;
		}
		if (listeners.size() == 1) {
			return listeners.get(0);
		}
		return new CompositeTokenCacheListener(listeners);
	}

	/**
	 * How a wait for another instance's lease ended.
	 */
	enum LeaseWaitOutcome {

		/**
		 * The holder's token arrived in the cache: no token request here.
		 */
		TOKEN,

		/**
		 * The lease came free without a token (its holder failed or died): this instance
		 * took it and fetched.
		 */
		TAKEN_OVER,

		/**
		 * No token within twice the lease time: this instance fetched without the lease.
		 */
		GAVE_UP

	}

	/**
	 * Why a token request was skipped.
	 *
	 * @since 0.1.0
	 */
	enum SkipReason {

		/**
		 * The endpoint asked to wait ({@code Retry-After}), here or at another instance of
		 * the fleet.
		 */
		BUSY,

		/**
		 * The endpoint failed with an error that may heal (a 5xx, a timeout, a refused
		 * connection) and is being backed off from.
		 */
		UNAVAILABLE,

		/**
		 * The endpoint rejected the client or the request ({@code invalid_client},
		 * {@code invalid_scope}, ...) and would answer the same again.
		 */
		REJECTED

	}

	/**
	 * Why a token was invalidated.
	 */
	enum InvalidationCause {

		/**
		 * The downstream API rejected it with 401.
		 */
		UNAUTHORIZED,

		/**
		 * An operator removed it (the {@code tokencache} actuator endpoint).
		 */
		MANUAL,

		/**
		 * The stored value did not decode or open.
		 */
		CORRUPT

	}

	/**
	 * Why the cache dropped a token on its own.
	 */
	enum EvictionCause {

		/**
		 * The tier was full.
		 */
		SIZE,

		/**
		 * The token reached its expiry minus the expiry buffer.
		 */
		EXPIRED

	}

}
