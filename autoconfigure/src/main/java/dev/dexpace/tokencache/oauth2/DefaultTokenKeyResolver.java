package dev.dexpace.tokencache.oauth2;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2Token;

/**
 * The default {@link TokenKeyResolver}:
 * <ul>
 * <li>{@code client_credentials}: a system key of registration and scopes, without the
 * principal, so every user shares the application's token;</li>
 * <li>{@code token-exchange} and {@code jwt-bearer}: a user key on the SHA-256 digest of
 * the principal's token (a resource server's {@code Jwt} or other {@link OAuth2Token}
 * principal) plus scopes; no key when the principal carries no token, because Spring
 * Security's providers cannot act for such a principal either;</li>
 * <li>any other grant (authorization_code logins): no key, those stay with Spring
 * Security's authorized client repository.</li>
 * </ul>
 *
 * @since 0.1.0
 */
public final class DefaultTokenKeyResolver implements TokenKeyResolver {

	// System keys are the same for every call of a registration: build each once. Keyed by
	// registration id, not by ClientRegistration, which has no equals(): a repository that
	// builds a new instance per lookup would otherwise grow this map by one per call.
	private final ConcurrentMap<String, SystemKey> systemKeys = new ConcurrentHashMap<>();

	@Override
	public @Nullable TokenKey resolve(ClientRegistration registration, Authentication principal) {
		AuthorizationGrantType grantType = registration.getAuthorizationGrantType();
		if (AuthorizationGrantType.CLIENT_CREDENTIALS.equals(grantType)) {
			SystemKey cached = this.systemKeys.get(registration.getRegistrationId());
			if (cached != null && cached.registration() == registration) {
				return cached.key();
			}
			Set<String> scopes = scopes(registration);
			TokenKey key = (cached != null && sameScopes(cached.key(), scopes)) ? cached.key()
					: TokenKey.system(registration.getRegistrationId(), scopes, null);
			this.systemKeys.put(registration.getRegistrationId(), new SystemKey(registration, key));
			return key;
		}
		if (AuthorizationGrantType.TOKEN_EXCHANGE.equals(grantType)
				|| AuthorizationGrantType.JWT_BEARER.equals(grantType)) {
			if (principal.getPrincipal() instanceof OAuth2Token subjectToken) {
				return TokenKey.user(registration.getRegistrationId(), subjectToken.getTokenValue(),
						scopes(registration), null);
			}
		}
		return null;
	}

	/**
	 * A registration built without any scope (Spring Boot's, when {@code scope} is not
	 * set) answers {@code null}, not an empty set.
	 */
	private static Set<String> scopes(ClientRegistration registration) {
		Set<String> scopes = registration.getScopes();
		return (scopes != null) ? scopes : Set.of();
	}

	private static boolean sameScopes(TokenKey key, Set<String> scopes) {
		// key.scopes() has no duplicates, so equal sizes and containment mean equal sets
		return key.scopes().size() == scopes.size() && scopes.containsAll(key.scopes());
	}

	/**
	 * The key last built for a registration id, and the registration instance it was built
	 * from: the same instance again (the usual case) costs one identity comparison.
	 */
	private record SystemKey(ClientRegistration registration, TokenKey key) {

	}

	/**
	 * Return how many system keys are held, one per registration id at most.
	 * @return the number of system keys
	 */
	int systemKeyCount() {
		return this.systemKeys.size();
	}

}
