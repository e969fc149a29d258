package dev.dexpace.tokencache.memory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenCacheInspector;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.expiry.CacheLifetime;
import org.jspecify.annotations.Nullable;

/**
 * The default {@link TokenCache}: two bounded, least-recently-used tiers, one for
 * {@link TokenKind#SYSTEM system} tokens and one for {@link TokenKind#USER user} tokens,
 * so that a crowd of users cannot evict the application's own tokens. Each entry expires
 * at its token's expiry minus the expiry buffer; the countdown runs on a monotonic clock,
 * so a wall-clock jump neither revives nor kills tokens.
 *
 * @since 0.1.0
 */
public final class InMemoryTokenCache implements TokenCache, TokenCacheInspector, TokenCacheListenerAware {

	private final Cache<TokenKey, CachedToken> systemTokens;

	private final Cache<TokenKey, CachedToken> userTokens;

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	/**
	 * Create a cache on the system clocks.
	 * @param maxSystemTokens the bound of the system tier
	 * @param maxUserTokens the bound of the user tier
	 * @param expiryBuffer how long before its real expiry a token is dropped
	 */
	public InMemoryTokenCache(int maxSystemTokens, int maxUserTokens, Duration expiryBuffer) {
		this(maxSystemTokens, maxUserTokens, expiryBuffer, Clock.systemUTC(), Ticker.systemTicker());
	}

	/**
	 * Create a cache.
	 * @param maxSystemTokens the bound of the system tier
	 * @param maxUserTokens the bound of the user tier
	 * @param expiryBuffer how long before its real expiry a token is dropped
	 * @param clock the wall clock, read once per write to turn an absolute expiry into a
	 * lifetime
	 * @param ticker the monotonic clock entries expire on
	 */
	public InMemoryTokenCache(int maxSystemTokens, int maxUserTokens, Duration expiryBuffer, Clock clock,
			Ticker ticker) {
		if (maxSystemTokens <= 0 || maxUserTokens <= 0) {
			throw new IllegalArgumentException("Tier sizes must be positive");
		}
		if (expiryBuffer.isNegative()) {
			throw new IllegalArgumentException("expiryBuffer must not be negative");
		}
		TokenExpiry expiry = new TokenExpiry(expiryBuffer, clock);
		this.systemTokens = tier(maxSystemTokens, expiry, ticker);
		this.userTokens = tier(maxUserTokens, expiry, ticker);
	}

	private Cache<TokenKey, CachedToken> tier(int maximumSize, TokenExpiry expiry, Ticker ticker) {
		// Maintenance runs on the calling thread: a write evicts before it returns, so the
		// bound holds, and a read never wakes a pool thread (an unpark per few reads costs
		// more than the lookup itself).
		return Caffeine.newBuilder()
			.maximumSize(maximumSize)
			.expireAfter(expiry)
			.ticker(ticker)
			.executor(Runnable::run)
			.evictionListener(this::evicted)
			.build();
	}

	@Override
	public @Nullable CachedToken get(TokenKey key) {
		return tierOf(key).getIfPresent(key);
	}

	@Override
	public void put(TokenKey key, CachedToken token) {
		tierOf(key).put(key, token);
	}

	@Override
	public void delete(TokenKey key) {
		tierOf(key).invalidate(key);
	}

	@Override
	public void delete(TokenKey key, CachedToken rejected) {
		tierOf(key).asMap().computeIfPresent(key, (k, current) -> current.sameTokenAs(rejected) ? null : current);
	}

	@Override
	public void clear() {
		this.systemTokens.invalidateAll();
		this.userTokens.invalidateAll();
	}

	@Override
	public void setListener(TokenCacheListener listener) {
		this.listener = listener;
	}

	private void evicted(@Nullable TokenKey key, @Nullable CachedToken token, RemovalCause cause) {
		if (key == null) {
			return;
		}
		if (cause == RemovalCause.SIZE) {
			this.listener.evicted(key.kind(), TokenCacheListener.EvictionCause.SIZE);
		}
		else if (cause == RemovalCause.EXPIRED) {
			this.listener.evicted(key.kind(), TokenCacheListener.EvictionCause.EXPIRED);
		}
	}

	@Override
	public List<TokenCacheEntry> entries() {
		List<TokenCacheEntry> entries = new ArrayList<>();
		for (Cache<TokenKey, CachedToken> tier : List.of(this.systemTokens, this.userTokens)) {
			// asMap() views hide expired entries that maintenance has not removed yet.
			tier.asMap().forEach((key, token) -> entries.add(TokenCacheEntry.of(key, token)));
		}
		return entries;
	}

	@Override
	public long deleteRegistration(String registrationId) {
		long deleted = 0;
		for (Cache<TokenKey, CachedToken> tier : List.of(this.systemTokens, this.userTokens)) {
			for (TokenKey key : List.copyOf(tier.asMap().keySet())) {
				if (key.registrationId().equals(registrationId) && tier.asMap().remove(key) != null) {
					deleted++;
				}
			}
		}
		return deleted;
	}

	/**
	 * Return the number of live entries in one tier, after pending evictions ran.
	 * @param kind the tier
	 * @return the number of entries
	 */
	public long size(TokenKind kind) {
		Cache<TokenKey, CachedToken> tier = (kind == TokenKind.SYSTEM) ? this.systemTokens : this.userTokens;
		tier.cleanUp();
		return tier.estimatedSize();
	}

	private Cache<TokenKey, CachedToken> tierOf(TokenKey key) {
		return (key.kind() == TokenKind.SYSTEM) ? this.systemTokens : this.userTokens;
	}

	@Override
	public String toString() {
		return "InMemoryTokenCache[system=" + this.systemTokens.estimatedSize() + ", user="
				+ this.userTokens.estimatedSize() + "]";
	}

	/**
	 * Per-entry lifetime: the token's remaining life minus the buffer, fixed at write.
	 */
	private record TokenExpiry(Duration expiryBuffer, Clock clock) implements Expiry<TokenKey, CachedToken> {

		@Override
		public long expireAfterCreate(TokenKey key, CachedToken token, long currentTime) {
			return CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant()).toNanos();
		}

		@Override
		public long expireAfterUpdate(TokenKey key, CachedToken token, long currentTime, long currentDuration) {
			return expireAfterCreate(key, token, currentTime);
		}

		@Override
		public long expireAfterRead(TokenKey key, CachedToken token, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

}
