package dev.dexpace.tokencache;

import java.util.List;

/**
 * Tells several listeners. An array and indexed loops, so a lookup allocates nothing.
 */
final class CompositeTokenCacheListener implements TokenCacheListener {

	private final TokenCacheListener[] listeners;

	CompositeTokenCacheListener(List<? extends TokenCacheListener> listeners) {
		this.listeners = listeners.toArray(new TokenCacheListener[0]);
	}

	@Override
	public void lookup(TokenKind kind, boolean hit) {
		for (TokenCacheListener listener : this.listeners) {
			listener.lookup(kind, hit);
		}
	}

	@Override
	public void tokenRequestSkipped(String registrationId, TokenKind kind, SkipReason reason) {
		for (TokenCacheListener listener : this.listeners) {
			listener.tokenRequestSkipped(registrationId, kind, reason);
		}
	}

	@Override
	public void leaseWaited(TokenKind kind, LeaseWaitOutcome outcome) {
		for (TokenCacheListener listener : this.listeners) {
			listener.leaseWaited(kind, outcome);
		}
	}

	@Override
	public void invalidated(TokenKind kind, InvalidationCause cause) {
		for (TokenCacheListener listener : this.listeners) {
			listener.invalidated(kind, cause);
		}
	}

	@Override
	public void evicted(TokenKind kind, EvictionCause cause) {
		for (TokenCacheListener listener : this.listeners) {
			listener.evicted(kind, cause);
		}
	}

	@Override
	public void cacheError(String operation) {
		for (TokenCacheListener listener : this.listeners) {
			listener.cacheError(operation);
		}
	}

}
