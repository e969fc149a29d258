package dev.dexpace.tokencache;

import java.util.List;

/**
 * A {@link TokenCache} that can list and remove its entries by registration, for
 * operators (the {@code tokencache} actuator endpoint). Optional: a cache that cannot
 * enumerate its entries simply does not implement it. Never on the request path.
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

}
