package dev.dexpace.tokencache.memory;

import java.util.Objects;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenKey;
import reactor.core.publisher.Mono;

/**
 * The reactive face of an {@link InMemoryTokenCache}: the same store, so a token fetched
 * through the blocking {@code TokenCache} is a hit here and the other way round. Every
 * operation is an in-memory lookup that never waits for I/O or a lock held across I/O,
 * so it runs on the subscribing thread, event loops included.
 *
 * @since 0.1.0
 */
public final class InMemoryReactiveTokenCache implements ReactiveTokenCache {

	private final InMemoryTokenCache store;

	/**
	 * Create the reactive face of a store.
	 * @param store the in-memory cache that holds the tokens
	 */
	public InMemoryReactiveTokenCache(InMemoryTokenCache store) {
		this.store = Objects.requireNonNull(store, "store must not be null");
	}

	@Override
	public Mono<CachedToken> get(TokenKey key) {
		return Mono.fromSupplier(() -> this.store.get(key));
	}

	@Override
	public Mono<Void> put(TokenKey key, CachedToken token) {
		return Mono.fromRunnable(() -> this.store.put(key, token));
	}

	@Override
	public Mono<Void> delete(TokenKey key) {
		return Mono.fromRunnable(() -> this.store.delete(key));
	}

	@Override
	public Mono<Void> delete(TokenKey key, CachedToken rejected) {
		return Mono.fromRunnable(() -> this.store.delete(key, rejected));
	}

	@Override
	public Mono<Void> clear() {
		return Mono.fromRunnable(this.store::clear);
	}

	/**
	 * Return the store behind this face.
	 * @return the in-memory cache
	 */
	public InMemoryTokenCache getStore() {
		return this.store;
	}

	@Override
	public String toString() {
		return "InMemoryReactiveTokenCache[" + this.store + "]";
	}

}
