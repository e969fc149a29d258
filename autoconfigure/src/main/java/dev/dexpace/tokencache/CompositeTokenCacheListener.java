package dev.dexpace.tokencache;

import java.util.List;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

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
	public <T> @Nullable T tokenRequest(String registrationId, TokenKind kind, Supplier<@Nullable T> request) {
		// The first listener's wrapper is outermost: each one wraps the next.
		return wrap(0, registrationId, kind, request);
	}

	private <T> @Nullable T wrap(int index, String registrationId, TokenKind kind, Supplier<@Nullable T> request) {
		if (index == this.listeners.length) {
			return request.get();
		}
		return this.listeners[index].tokenRequest(registrationId, kind,
				() -> wrap(index + 1, registrationId, kind, request));
	}

	@Override
	public PendingTokenRequest tokenRequestStarted(String registrationId, TokenKind kind) {
		PendingTokenRequest[] pending = new PendingTokenRequest[this.listeners.length];
		for (int i = 0; i < pending.length; i++) {
			pending[i] = this.listeners[i].tokenRequestStarted(registrationId, kind);
		}
		return new PendingTokenRequest() {

			@Override
			public void finished(boolean obtained) {
				// Inner handles first, as the blocking wrappers unwind.
				for (int i = pending.length - 1; i >= 0; i--) {
					pending[i].finished(obtained);
				}
			}

			@Override
			public void failed(Throwable error) {
				for (int i = pending.length - 1; i >= 0; i--) {
					pending[i].failed(error);
				}
			}

		};
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
