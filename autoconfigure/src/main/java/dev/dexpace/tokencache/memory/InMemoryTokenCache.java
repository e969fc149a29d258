package dev.dexpace.tokencache.memory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
 * <p>
 * Each entry carries its own deadline on the monotonic clock, checked on every read: a
 * hit costs one lookup and one clock read, which is about half of what Caffeine's
 * variable expiry costs per read. An expired entry is removed (and reported as an
 * expiry eviction) when a read, {@link #entries()} or {@link #size(TokenKind)} finds it,
 * or when the tier's bound evicts it as the least recently used; until then it counts
 * against the bound like any other entry, so memory stays bounded either way.
 *
 * @since 0.1.0
 */
public final class InMemoryTokenCache implements TokenCache, TokenCacheInspector, TokenCacheListenerAware {

	private final Cache<TokenKey, Entry> systemTokens;

	private final Cache<TokenKey, Entry> userTokens;

	private final Duration expiryBuffer;

	private final Clock clock;

	private final Ticker ticker;

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
		this.expiryBuffer = expiryBuffer;
		this.clock = clock;
		this.ticker = ticker;
		this.systemTokens = tier(maxSystemTokens);
		this.userTokens = tier(maxUserTokens);
	}

	private Cache<TokenKey, Entry> tier(int maximumSize) {
		// Maintenance runs on the calling thread: a write evicts before it returns, so the
		// bound holds, and a read never wakes a pool thread (an unpark per few reads costs
		// more than the lookup itself).
		return Caffeine.newBuilder()
			.maximumSize(maximumSize)
			.executor(Runnable::run)
			.evictionListener(this::evicted)
			.build();
	}

	@Override
	public @Nullable CachedToken get(TokenKey key) {
		Cache<TokenKey, Entry> tier = tierOf(key);
		Entry entry = tier.getIfPresent(key);
		if (entry == null) {
			return null;
		}
		if (entry.liveAt(this.ticker.read())) {
			return entry.token();
		}
		expire(tier, key, entry);
		return null;
	}

	@Override
	public void put(TokenKey key, CachedToken token) {
		Cache<TokenKey, Entry> tier = tierOf(key);
		Duration lifetime = CacheLifetime.of(token.expiresAt(), this.expiryBuffer, this.clock.instant());
		if (lifetime.isZero()) {
			// Nothing that expires now is worth keeping, and neither is what it replaces.
			tier.invalidate(key);
		}
		else {
			tier.put(key, new Entry(token, this.ticker.read() + lifetime.toNanos()));
		}
	}

	@Override
	public void delete(TokenKey key) {
		tierOf(key).invalidate(key);
	}

	@Override
	public void delete(TokenKey key, CachedToken rejected) {
		tierOf(key).asMap().computeIfPresent(key, (k, current) -> current.token().sameTokenAs(rejected) ? null : current);
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

	private void evicted(@Nullable TokenKey key, @Nullable Entry entry, RemovalCause cause) {
		if (key == null || entry == null || cause != RemovalCause.SIZE) {
			return;
		}
		// An entry nobody read after its deadline leaves by size; it had expired already.
		boolean expired = !entry.liveAt(this.ticker.read());
		this.listener.evicted(key.kind(),
				expired ? TokenCacheListener.EvictionCause.EXPIRED : TokenCacheListener.EvictionCause.SIZE);
	}

	/**
	 * Remove an entry found expired, unless a write replaced it meanwhile.
	 */
	private void expire(Cache<TokenKey, Entry> tier, TokenKey key, Entry entry) {
		if (tier.asMap().remove(key, entry)) {
			this.listener.evicted(key.kind(), TokenCacheListener.EvictionCause.EXPIRED);
		}
	}

	private void removeExpired(Cache<TokenKey, Entry> tier, long now) {
		tier.asMap().forEach((key, entry) -> {
			if (!entry.liveAt(now)) {
				expire(tier, key, entry);
			}
		});
	}

	@Override
	public List<TokenCacheEntry> entries() {
		List<TokenCacheEntry> entries = new ArrayList<>();
		long now = this.ticker.read();
		for (Cache<TokenKey, Entry> tier : List.of(this.systemTokens, this.userTokens)) {
			removeExpired(tier, now);
			tier.asMap().forEach((key, entry) -> {
				if (entry.liveAt(now)) {
					entries.add(TokenCacheEntry.of(key, entry.token()));
				}
			});
		}
		return entries;
	}

	@Override
	public long deleteRegistration(String registrationId) {
		long deleted = 0;
		for (Cache<TokenKey, Entry> tier : List.of(this.systemTokens, this.userTokens)) {
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
		Cache<TokenKey, Entry> tier = (kind == TokenKind.SYSTEM) ? this.systemTokens : this.userTokens;
		removeExpired(tier, this.ticker.read());
		tier.cleanUp();
		return tier.estimatedSize();
	}

	private Cache<TokenKey, Entry> tierOf(TokenKey key) {
		return (key.kind() == TokenKind.SYSTEM) ? this.systemTokens : this.userTokens;
	}

	@Override
	public String toString() {
		return "InMemoryTokenCache[system=" + this.systemTokens.estimatedSize() + ", user="
				+ this.userTokens.estimatedSize() + "]";
	}

	/**
	 * A cached token and the reading of the monotonic clock at which it leaves the cache:
	 * its expiry minus the buffer, fixed at write.
	 *
	 * @param token the token
	 * @param deadlineNanos the ticker reading from which the entry is expired
	 */
	private record Entry(CachedToken token, long deadlineNanos) {

		boolean liveAt(long nowNanos) {
			// A difference, not a comparison of readings: the ticker may wrap.
			return nowNanos - this.deadlineNanos < 0;
		}

		@Override
		public String toString() {
			return "Entry[" + this.token + "]";
		}

	}

}
