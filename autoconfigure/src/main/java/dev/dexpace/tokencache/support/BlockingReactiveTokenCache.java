package dev.dexpace.tokencache.support;

import java.util.Objects;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link ReactiveTokenCache} over a blocking {@link TokenCache} whose I/O is unknown
 * (typically one the application declared itself): every operation runs on a scheduler
 * meant for blocking work, Reactor's bounded elastic one by default, never on the
 * subscribing thread. Both faces then share one store.
 *
 * @since 0.1.0
 */
public final class BlockingReactiveTokenCache implements ReactiveTokenCache {

	private final TokenCache cache;

	private final Scheduler scheduler;

	/**
	 * Create an adapter that runs the cache on {@link Schedulers#boundedElastic()}.
	 * @param cache the blocking cache
	 */
	public BlockingReactiveTokenCache(TokenCache cache) {
		this(cache, Schedulers.boundedElastic());
	}

	/**
	 * Create an adapter.
	 * @param cache the blocking cache
	 * @param scheduler the scheduler the blocking calls run on
	 */
	public BlockingReactiveTokenCache(TokenCache cache, Scheduler scheduler) {
		this.cache = Objects.requireNonNull(cache, "cache must not be null");
		this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
	}

	@Override
	public Mono<CachedToken> get(TokenKey key) {
		return Mono.fromSupplier(() -> this.cache.get(key)).subscribeOn(this.scheduler);
	}

	@Override
	public Mono<Void> put(TokenKey key, CachedToken token) {
		return Mono.<Void>fromRunnable(() -> this.cache.put(key, token)).subscribeOn(this.scheduler);
	}

	@Override
	public Mono<Void> delete(TokenKey key) {
		return Mono.<Void>fromRunnable(() -> this.cache.delete(key)).subscribeOn(this.scheduler);
	}

	@Override
	public Mono<Void> delete(TokenKey key, CachedToken rejected) {
		return Mono.<Void>fromRunnable(() -> this.cache.delete(key, rejected)).subscribeOn(this.scheduler);
	}

	@Override
	public Mono<Void> clear() {
		return Mono.<Void>fromRunnable(this.cache::clear).subscribeOn(this.scheduler);
	}

	/**
	 * Return the blocking cache behind this adapter.
	 * @return the cache
	 */
	public TokenCache getCache() {
		return this.cache;
	}

	@Override
	public String toString() {
		return "BlockingReactiveTokenCache[" + this.cache + "]";
	}

}
