package dev.dexpace.tokencache.support;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenKey;
import reactor.core.publisher.Mono;

/**
 * A {@link ReactiveTokenCache} that keeps nothing: every call fetches a token. Selected
 * with {@code dexpace.token-cache.type=none}, for debugging.
 *
 * @since 0.1.0
 */
public final class NoOpReactiveTokenCache implements ReactiveTokenCache {

	@Override
	public Mono<CachedToken> get(TokenKey key) {
		return Mono.empty();
	}

	@Override
	public Mono<Void> put(TokenKey key, CachedToken token) {
		return Mono.empty();
	}

	@Override
	public Mono<Void> delete(TokenKey key) {
		return Mono.empty();
	}

	@Override
	public Mono<Void> delete(TokenKey key, CachedToken rejected) {
		return Mono.empty();
	}

	@Override
	public Mono<Void> clear() {
		return Mono.empty();
	}

}
