package dev.dexpace.tokencache.actuate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheEntry;
import dev.dexpace.tokencache.TokenCacheInspector;
import dev.dexpace.tokencache.TokenCacheListener;
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
 * {@link TokenCacheInspector}; removing everything works with any cache.
 * <p>
 * It lists which registrations and users (by digest) hold tokens and lets its caller
 * force token requests: expose it only to operators, never publicly.
 *
 * @since 0.1.0
 */
@Endpoint(id = "tokencache")
public class TokenCacheEndpoint {

	private static final Comparator<TokenCacheEntry> ORDER = Comparator.comparing(TokenCacheEntry::registrationId)
		.thenComparing(TokenCacheEntry::kind)
		.thenComparing(TokenCacheEntry::expiresAt)
		.thenComparing(TokenCacheEntry::keyDigest);

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
	 * List the cached tokens.
	 * @return the cache and its entries; no entries if the cache cannot list them
	 */
	@ReadOperation
	public TokenCacheDescriptor tokenCache() {
		if (!(this.cache instanceof TokenCacheInspector inspector)) {
			return new TokenCacheDescriptor(cacheName(), false, null);
		}
		Instant now = this.clock.instant();
		List<EntryDescriptor> entries = inspector.entries()
			.stream()
			.sorted(ORDER)
			.map((entry) -> EntryDescriptor.of(entry, now))
			.toList();
		return new TokenCacheDescriptor(cacheName(), true, entries);
	}

	/**
	 * Remove every cached token.
	 * @return how many tokens were removed, if the cache can tell
	 */
	@DeleteOperation
	public DeletedDescriptor deleteAll() {
		@Nullable List<TokenCacheEntry> entries = (this.cache instanceof TokenCacheInspector inspector)
				? inspector.entries() : null;
		this.cache.clear();
		if (entries == null) {
			return new DeletedDescriptor(null);
		}
		entries.forEach((entry) -> this.listener.invalidated(entry.kind(),
				TokenCacheListener.InvalidationCause.MANUAL));
		return new DeletedDescriptor((long) entries.size());
	}

	/**
	 * Remove the cached tokens of one client registration.
	 * @param registration the client registration id
	 * @return how many tokens were removed; none if the cache cannot list its entries
	 */
	@DeleteOperation
	public DeletedDescriptor deleteRegistration(@Selector String registration) {
		if (!(this.cache instanceof TokenCacheInspector inspector)) {
			return new DeletedDescriptor(null);
		}
		List<TokenCacheEntry> entries = inspector.entries()
			.stream()
			.filter((entry) -> entry.registrationId().equals(registration))
			.toList();
		long deleted = inspector.deleteRegistration(registration);
		entries.forEach((entry) -> this.listener.invalidated(entry.kind(),
				TokenCacheListener.InvalidationCause.MANUAL));
		return new DeletedDescriptor(deleted);
	}

	private String cacheName() {
		return ClassUtils.getUserClass(this.cache).getName();
	}

	/**
	 * The cache and its entries.
	 *
	 * @param cache the class of the cache
	 * @param inspectable whether the cache can list its entries
	 * @param entries the entries, or {@code null} if the cache cannot list them
	 */
	public record TokenCacheDescriptor(String cache, boolean inspectable,
			@Nullable List<EntryDescriptor> entries) implements OperationResponseBody {

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
	 */
	public record DeletedDescriptor(@Nullable Long deleted) implements OperationResponseBody {

	}

}
