package dev.dexpace.tokencache.actuate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenCacheInspector;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.util.ClassUtils;

/**
 * The {@code tokencache} endpoint: lists the cached tokens (registration, tier, scopes,
 * audience, key digest, expiry and remaining lifetime; never a token value) and removes
 * the tokens of one registration or all of them, so that the next call fetches a new
 * token. Listing and removing by registration need a cache that implements
 * {@link TokenCacheInspector}; removing everything works with any cache. A read answers
 * one bounded page ({@code ?limit=&cursor=}); a removal is counted from what the cache
 * removed, without listing the entries first.
 * <p>
 * It lists which registrations and users (by digest) hold tokens and lets its caller
 * force token requests: expose it only to operators, never publicly.
 *
 * @since 0.1.0
 */
@Endpoint(id = "tokencache")
public class TokenCacheEndpoint {

	/**
	 * How many entries a read answers unless it asks for another number.
	 */
	public static final int DEFAULT_LIMIT = 100;

	/**
	 * The most entries a read answers.
	 */
	public static final int MAX_LIMIT = 1000;

	private final TokenCache cache;

	private final TokenCacheListener listener;

	private final Clock clock;

	/**
	 * Create an endpoint.
	 * @param cache the token cache
	 * @param listener told of every token removed here, as a manual invalidation
	 * @param clock the clock that tells the remaining lifetime
	 */
	public TokenCacheEndpoint(TokenCache cache, TokenCacheListener listener, Clock clock) {
		this.cache = cache;
		this.listener = listener;
		this.clock = clock;
	}

	/**
	 * List a page of the cached tokens, in the order of their position (tier,
	 * registration, key digest).
	 * @param limit the most entries to answer (default {@value #DEFAULT_LIMIT}, at most
	 * {@value #MAX_LIMIT})
	 * @param cursor the {@code nextCursor} of the previous page, or {@code null} for the
	 * first page
	 * @return the cache and a page of its entries; no entries if the cache cannot list them
	 */
	@ReadOperation
	public TokenCacheDescriptor tokenCache(@Nullable Integer limit, @Nullable String cursor) {
		if (!(this.cache instanceof TokenCacheInspector inspector)) {
			return new TokenCacheDescriptor(cacheName(), false, null, null, false);
		}
		int bounded = Math.max(1, Math.min((limit != null) ? limit : DEFAULT_LIMIT, MAX_LIMIT));
		TokenCacheInspector.Page page = inspector.entries(bounded, cursor);
		Instant now = this.clock.instant();
		List<EntryDescriptor> entries = page.entries().stream().map((entry) -> EntryDescriptor.of(entry, now)).toList();
		return new TokenCacheDescriptor(cacheName(), true, entries, page.nextCursor(), page.nextCursor() != null);
	}

	/**
	 * List the first page of the cached tokens.
	 * @return the cache and the first {@value #DEFAULT_LIMIT} of its entries
	 */
	public TokenCacheDescriptor tokenCache() {
		return tokenCache(null, null);
	}

	/**
	 * Remove every cached token.
	 * @return how many tokens were removed, if the cache can tell
	 */
	@DeleteOperation
	public DeletedDescriptor deleteAll() {
		if (!(this.cache instanceof TokenCacheInspector inspector)) {
			this.cache.clear();
			return new DeletedDescriptor(null, false,
					"The cache was cleared; it cannot count its entries, so how many were removed is unknown");
		}
		return deleted(inspector.remove(null));
	}

	/**
	 * Remove the cached tokens of one client registration.
	 * @param registration the client registration id
	 * @return how many tokens were removed; nothing is removed if the cache cannot list its
	 * entries by registration
	 */
	@DeleteOperation
	public DeletedDescriptor deleteRegistration(@Selector String registration) {
		if (!(this.cache instanceof TokenCacheInspector)) {
			return new DeletedDescriptor(null, false, "Nothing was removed: the cache cannot remove the entries of "
					+ "one registration; delete everything instead");
		}
		return deleted(((TokenCacheInspector) this.cache).remove(registration));
	}

	private DeletedDescriptor deleted(Map<TokenKind, Long> removed) {
		removed.forEach((kind, count) -> {
			for (long i = 0; i < count; i++) {
				this.listener.invalidated(kind, TokenCacheListener.InvalidationCause.MANUAL);
			}
		});
		return new DeletedDescriptor(removed.values().stream().mapToLong(Long::longValue).sum(), true, null);
	}

	private String cacheName() {
		return ClassUtils.getUserClass(this.cache).getName();
	}

	/**
	 * The cache and a page of its entries.
	 *
	 * @param cache the class of the cache
	 * @param inspectable whether the cache can list its entries
	 * @param entries the entries, or {@code null} if the cache cannot list them
	 * @param nextCursor the {@code cursor} of the next page, or {@code null} if this is the
	 * last one
	 * @param truncated whether there are more entries than this page holds
	 */
	public record TokenCacheDescriptor(String cache, boolean inspectable, @Nullable List<EntryDescriptor> entries,
			@Nullable String nextCursor, boolean truncated) implements OperationResponseBody {

	}

	/**
	 * One cached token, without its value.
	 *
	 * @param registration the client registration id
	 * @param kind {@code system} or {@code user}
	 * @param scopes the granted scopes, sorted
	 * @param audience the requested audience, or {@code null} if none or not known (Redis
	 * does not store it in plain form)
	 * @param keyDigest the hex SHA-256 of the key
	 * @param expiresAt when the token really expires, ISO-8601
	 * @param remainingLifetime how long until then in whole seconds, ISO-8601 (the cache
	 * drops the token the expiry buffer earlier)
	 */
	public record EntryDescriptor(String registration, String kind, List<String> scopes, @Nullable String audience,
			String keyDigest, String expiresAt, String remainingLifetime) {

		static EntryDescriptor of(TokenCacheEntry entry, Instant now) {
			Duration remaining = Duration.between(now, entry.expiresAt()).truncatedTo(ChronoUnit.SECONDS);
			return new EntryDescriptor(entry.registrationId(), entry.kind().name().toLowerCase(Locale.ROOT),
					entry.scopes().stream().sorted().toList(), entry.audience(), entry.keyDigest(),
					entry.expiresAt().toString(), (remaining.isNegative() ? Duration.ZERO : remaining).toString());
		}

	}

	/**
	 * The outcome of a delete.
	 *
	 * @param deleted how many tokens were removed, or {@code null} if the cache cannot tell
	 * @param inspectable whether the cache can list and count its entries
	 * @param reason what happened, when the cache cannot tell how many were removed
	 */
	public record DeletedDescriptor(@Nullable Long deleted, boolean inspectable,
			@Nullable String reason) implements OperationResponseBody {

	}

}
