package dev.dexpace.tokencache.metrics;

import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds the number of entries per tier of an {@link InMemoryTokenCache} as the gauge
 * {@value #ENTRIES}, tagged {@code tier}.
 *
 * @since 0.1.0
 */
public final class TokenCacheMeterBinder implements MeterBinder {

	/**
	 * Entries held by the in-memory cache, tagged {@code tier}.
	 */
	public static final String ENTRIES = "dexpace.token.cache.entries";

	private final InMemoryTokenCache cache;

	/**
	 * Create a binder.
	 * @param cache the cache
	 */
	public TokenCacheMeterBinder(InMemoryTokenCache cache) {
		this.cache = cache;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (TokenKind kind : TokenKind.values()) {
			Gauge.builder(ENTRIES, this.cache, (cache) -> cache.size(kind))
				.description("Access tokens held by the in-memory token cache")
				.tag("tier", TokenCacheMetrics.tag(kind))
				.strongReference(true)
				.register(registry);
		}
	}

}
