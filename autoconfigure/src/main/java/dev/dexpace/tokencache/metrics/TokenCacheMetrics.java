package dev.dexpace.tokencache.metrics;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts what the token cache does in a {@link MeterRegistry}: lookups by tier and
 * result, invalidations and evictions by tier and cause, token requests skipped by tier
 * and reason while their endpoint is in backoff, and backend errors by operation. Every counter is registered up front, so a lookup increments a counter it
 * already holds: no tags are built and nothing is allocated on the hit path. Tags hold
 * only fixed words: never a token, a subject or a key.
 * <p>
 * Token requests are timed by their observation (see
 * {@link DefaultTokenRequestObservationConvention}).
 *
 * @since 0.1.0
 */
public final class TokenCacheMetrics implements TokenCacheListener {

	/**
	 * Lookups of a token in the cache, tagged {@code tier} and {@code result}.
	 */
	public static final String LOOKUPS = "dexpace.token.cache.lookups";

	/**
	 * Tokens deleted before their expiry, tagged {@code tier} and {@code cause}.
	 */
	public static final String INVALIDATIONS = "dexpace.token.cache.invalidations";

	/**
	 * Tokens the cache dropped on its own, tagged {@code tier} and {@code cause}.
	 */
	public static final String EVICTIONS = "dexpace.token.cache.evictions";

	/**
	 * Failed or timed-out operations of the cache backend, tagged {@code operation}.
	 */
	public static final String ERRORS = "dexpace.token.cache.errors";

	/**
	 * Waits for another instance's fleet lease, tagged {@code tier} and {@code outcome}.
	 */
	public static final String LEASE_WAITS = "dexpace.token.cache.lease.waits";

	/**
	 * Token requests not sent because their endpoint is in backoff (the caller failed at
	 * once or was served its last token), tagged {@code tier} and {@code reason}
	 * ({@code busy}, {@code unavailable}, {@code rejected}).
	 */
	public static final String SKIPPED_REQUESTS = "dexpace.token.requests.skipped";

	private static final String[] OPERATIONS = { "get", "put", "delete" };

	private final MeterRegistry registry;

	// Indexed by TokenKind ordinal.
	private final Counter[] hits = new Counter[TokenKind.values().length];

	private final Counter[] misses = new Counter[TokenKind.values().length];

	// Indexed by TokenKind ordinal, then cause ordinal.
	private final Counter[][] invalidations;

	private final Counter[][] evictions;

	private final Counter[][] leaseWaits;

	private final Counter[][] skipped;

	private final Map<String, Counter> errors = new ConcurrentHashMap<>();

	/**
	 * Register the counters.
	 * @param registry the registry
	 */
	public TokenCacheMetrics(MeterRegistry registry) {
		this.registry = registry;
		this.invalidations = new Counter[TokenKind.values().length][InvalidationCause.values().length];
		this.evictions = new Counter[TokenKind.values().length][EvictionCause.values().length];
		this.leaseWaits = new Counter[TokenKind.values().length][LeaseWaitOutcome.values().length];
		this.skipped = new Counter[TokenKind.values().length][SkipReason.values().length];
		for (TokenKind kind : TokenKind.values()) {
			String tier = tag(kind);
			this.hits[kind.ordinal()] = lookups(tier, "hit");
			this.misses[kind.ordinal()] = lookups(tier, "miss");
			for (InvalidationCause cause : InvalidationCause.values()) {
				this.invalidations[kind.ordinal()][cause.ordinal()] = Counter.builder(INVALIDATIONS)
					.description("Cached tokens deleted before their expiry")
					.tag("tier", tier)
					.tag("cause", tag(cause))
					.register(registry);
			}
			for (LeaseWaitOutcome outcome : LeaseWaitOutcome.values()) {
				this.leaseWaits[kind.ordinal()][outcome.ordinal()] = Counter.builder(LEASE_WAITS)
					.description("Waits for the token another instance of the fleet was fetching")
					.tag("tier", tier)
					.tag("outcome", tag(outcome))
					.register(registry);
			}
			for (SkipReason reason : SkipReason.values()) {
				this.skipped[kind.ordinal()][reason.ordinal()] = Counter.builder(SKIPPED_REQUESTS)
					.description("Token requests not sent because their token endpoint is in backoff")
					.tag("tier", tier)
					.tag("reason", tag(reason))
					.register(registry);
			}
			for (EvictionCause cause : EvictionCause.values()) {
				this.evictions[kind.ordinal()][cause.ordinal()] = Counter.builder(EVICTIONS)
					.description("Cached tokens the cache dropped because it was full or they expired")
					.tag("tier", tier)
					.tag("cause", tag(cause))
					.register(registry);
			}
		}
		for (String operation : OPERATIONS) {
			errorCounter(operation);
		}
	}

	private Counter lookups(String tier, String result) {
		return Counter.builder(LOOKUPS)
			.description("Lookups of an access token in the token cache")
			.tag("tier", tier)
			.tag("result", result)
			.register(this.registry);
	}

	private Counter errorCounter(String operation) {
		return this.errors.computeIfAbsent(operation, (name) -> Counter.builder(ERRORS)
			.description("Token cache backend operations that failed or timed out")
			.tag("operation", name)
			.register(this.registry));
	}

	@Override
	public void lookup(TokenKind kind, boolean hit) {
		(hit ? this.hits : this.misses)[kind.ordinal()].increment();
	}

	@Override
	public void invalidated(TokenKind kind, InvalidationCause cause) {
		this.invalidations[kind.ordinal()][cause.ordinal()].increment();
	}

	@Override
	public void tokenRequestSkipped(String registrationId, TokenKind kind, SkipReason reason) {
		this.skipped[kind.ordinal()][reason.ordinal()].increment();
	}

	@Override
	public void leaseWaited(TokenKind kind, LeaseWaitOutcome outcome) {
		this.leaseWaits[kind.ordinal()][outcome.ordinal()].increment();
	}

	@Override
	public void evicted(TokenKind kind, EvictionCause cause) {
		this.evictions[kind.ordinal()][cause.ordinal()].increment();
	}

	@Override
	public void cacheError(String operation) {
		Counter counter = this.errors.get(operation);
		// Operation names are a few constants of this library, so the map stays small.
		((counter != null) ? counter : errorCounter(operation)).increment();
	}

	static String tag(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT);
	}

}
