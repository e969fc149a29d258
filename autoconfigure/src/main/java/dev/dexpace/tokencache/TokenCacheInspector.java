package dev.dexpace.tokencache;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenCache} that can list and remove its entries by registration, for
 * operators (the {@code tokencache} actuator endpoint). Optional: a cache that cannot
 * enumerate its entries simply does not implement it. Never on the request path.
 * <p>
 * Entries are listed in the order of their {@linkplain #positionOf(TokenCacheEntry)
 * position} (tier, registration, key digest), a page at a time: a cache with many user
 * tokens overrides {@link #entries(int, String)} so that a page reads no more than it
 * returns, and {@link #remove(String)} so that a removal is counted without reading the
 * values.
 *
 * @since 0.1.0
 */
public interface TokenCacheInspector {

	/**
	 * Return the entries the cache holds now. Never holds a token value.
	 * @return the entries
	 */
	List<TokenCacheEntry> entries();

	/**
	 * Remove every entry of one client registration.
	 * @param registrationId the client registration id
	 * @return the number of entries removed
	 */
	long deleteRegistration(String registrationId);

	/**
	 * Return at most {@code limit} entries, in the order of their position, after the
	 * position {@code cursor}.
	 * @param limit the most entries to return, at least 1
	 * @param cursor the position to continue after ({@link Page#nextCursor()} of the
	 * previous page), or {@code null} for the first page
	 * @return the page
	 */
	default Page entries(int limit, @Nullable String cursor) {
		List<TokenCacheEntry> after = entries().stream()
			.filter((entry) -> cursor == null || positionOf(entry).compareTo(cursor) > 0)
			.sorted(Comparator.comparing(TokenCacheInspector::positionOf))
			.toList();
		return Page.of(after, limit);
	}

	/**
	 * Remove every entry of one client registration, or every entry, and say how many of
	 * each tier were removed.
	 * @param registrationId the client registration id, or {@code null} for all
	 * @return how many entries of each tier were removed (a tier without any is absent)
	 */
	default Map<TokenKind, Long> remove(@Nullable String registrationId) {
		Map<TokenKind, Long> removed = new EnumMap<>(TokenKind.class);
		Set<String> registrations = new LinkedHashSet<>();
		for (TokenCacheEntry entry : entries()) {
			if (registrationId == null || entry.registrationId().equals(registrationId)) {
				removed.merge(entry.kind(), 1L, Long::sum);
				registrations.add(entry.registrationId());
			}
		}
		registrations.forEach(this::deleteRegistration);
		return removed;
	}

	/**
	 * Return the position of an entry in the listing: its tier, registration id and key
	 * digest, joined by {@code :} (in Redis, the key without its prefix).
	 * @param entry the entry
	 * @return its position
	 */
	static String positionOf(TokenCacheEntry entry) {
		return entry.kind().name().toLowerCase(Locale.ROOT) + ':' + entry.registrationId() + ':' + entry.keyDigest();
	}

	/**
	 * One page of entries.
	 *
	 * @param entries the entries, in the order of their position
	 * @param nextCursor the position to continue after, or {@code null} if this is the
	 * last page
	 */
	record Page(List<TokenCacheEntry> entries, @Nullable String nextCursor) {

		public Page {
			entries = List.copyOf(entries);
		}

		/**
		 * Return the first {@code limit} of the entries after a cursor.
		 * @param after the entries after the cursor, in the order of their position
		 * @param limit the most entries to return, at least 1
		 * @return the page
		 */
		public static Page of(List<TokenCacheEntry> after, int limit) {
			if (limit < 1) {
				throw new IllegalArgumentException("limit must be at least 1");
			}
			if (after.size() <= limit) {
				return new Page(after, null);
			}
			List<TokenCacheEntry> page = after.subList(0, limit);
			return new Page(page, positionOf(page.get(limit - 1)));
		}

	}

}
