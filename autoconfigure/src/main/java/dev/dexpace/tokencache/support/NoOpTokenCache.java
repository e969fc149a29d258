package dev.dexpace.tokencache.support;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenCache} that keeps nothing: every call fetches a token. Selected with
 * {@code dexpace.token-cache.type=none}, for debugging.
 *
 * @since 0.1.0
 */
public final class NoOpTokenCache implements TokenCache {

	@Override
	public @Nullable CachedToken get(TokenKey key) {
		return null;
	}

	@Override
	public void put(TokenKey key, CachedToken token) {
	}

	@Override
	public void delete(TokenKey key) {
	}

	@Override
	public void delete(TokenKey key, CachedToken rejected) {
	}

	@Override
	public void clear() {
	}

}
