package dev.dexpace.tokencache.oauth2;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2Token;
import org.springframework.util.Assert;

/**
 * The default {@link TokenKeyResolver}. Every key names the registration and a digest of
 * the client's identity (client id and token endpoint), so that applications that share a
 * cache and reuse a registration id for another client or identity provider never share
 * a token:
 * <ul>
 * <li>{@code client_credentials}: a system key of registration, client and scopes,
 * without the principal, so every user shares the application's token;</li>
 * <li>{@code token-exchange} and {@code jwt-bearer}: a user key on the SHA-256 digest of
 * the principal's token (a resource server's {@code Jwt} or other {@link OAuth2Token}
 * principal) plus client and scopes; no key when the principal carries no token, because
 * Spring Security's providers cannot act for such a principal either;</li>
 * <li>any other grant (authorization_code logins): no key, those stay with Spring
 * Security's authorized client repository.</li>
 * </ul>
 * A registration whose tokens are bound to a key (DPoP) adds the key's JWK thumbprint to
 * every key, so instances with different keys never share a bound token.
 *
 * @since 0.1.0
 */
public final class DefaultTokenKeyResolver implements TokenKeyResolver {

	// What a registration's keys share (client digest, and the system key) is the same for
	// every call: build it once. Keyed by registration id, not by ClientRegistration, which
	// has no equals(): a repository that builds a new instance per lookup would otherwise
	// grow this map by one per call.
	private final ConcurrentMap<String, Resolved> resolved = new ConcurrentHashMap<>();

	private final Function<String, @Nullable String> keyThumbprints;

	/**
	 * Create a resolver for bearer tokens only.
	 */
	public DefaultTokenKeyResolver() {
		this((registrationId) -> null);
	}

	/**
	 * Create a resolver for registrations of which some bind their tokens to a key.
	 * @param keyThumbprints the JWK thumbprint of the key a registration's tokens are
	 * bound to, by registration id; {@code null} for bearer tokens
	 */
	public DefaultTokenKeyResolver(Function<String, @Nullable String> keyThumbprints) {
		this.keyThumbprints = keyThumbprints;
	}

	@Override
	public @Nullable TokenKey resolve(ClientRegistration registration, Authentication principal) {
		AuthorizationGrantType grantType = registration.getAuthorizationGrantType();
		if (AuthorizationGrantType.CLIENT_CREDENTIALS.equals(grantType)) {
			TokenKey key = resolved(registration).systemKey();
			Assert.state(key != null, "A client_credentials registration has a system key");
			return key;
		}
		if (AuthorizationGrantType.TOKEN_EXCHANGE.equals(grantType)
				|| AuthorizationGrantType.JWT_BEARER.equals(grantType)) {
			if (principal.getPrincipal() instanceof OAuth2Token subjectToken) {
				Resolved resolved = resolved(registration);
				return TokenKey
					.user(registration.getRegistrationId(), resolved.clientDigest(), subjectToken.getTokenValue(),
							scopes(registration), null)
					.withKeyThumbprint(resolved.keyThumbprint());
			}
		}
		return null;
	}

	/**
	 * Return what was resolved for a registration: for the same instance again (the usual
	 * case) one identity comparison; for a new instance of an unchanged registration a few
	 * string comparisons, no digest.
	 */
	private Resolved resolved(ClientRegistration registration) {
		String registrationId = registration.getRegistrationId();
		Resolved cached = this.resolved.get(registrationId);
		if (cached != null && cached.registration() == registration) {
			return cached;
		}
		String clientDigest = (cached != null && sameClient(cached.registration(), registration))
				? cached.clientDigest() : TokenKey.clientDigest(registration.getClientId(), tokenUri(registration));
		TokenKey systemKey = null;
		if (AuthorizationGrantType.CLIENT_CREDENTIALS.equals(registration.getAuthorizationGrantType())) {
			Set<String> scopes = scopes(registration);
			TokenKey previous = (cached != null) ? cached.systemKey() : null;
			systemKey = (previous != null && previous.clientDigest().equals(clientDigest)
					&& sameScopes(previous, scopes)) ? previous
							: TokenKey.system(registrationId, clientDigest, scopes, null);
		}
		String keyThumbprint = this.keyThumbprints.apply(registrationId);
		if (systemKey != null) {
			systemKey = systemKey.withKeyThumbprint(keyThumbprint);
		}
		Resolved built = new Resolved(registration, clientDigest, systemKey, keyThumbprint);
		this.resolved.put(registrationId, built);
		return built;
	}

	private static boolean sameClient(ClientRegistration one, ClientRegistration other) {
		return one.getClientId().equals(other.getClientId()) && tokenUri(one).equals(tokenUri(other));
	}

	private static String tokenUri(ClientRegistration registration) {
		String tokenUri = registration.getProviderDetails().getTokenUri();
		return (tokenUri != null) ? tokenUri : "";
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
	 * What was resolved for a registration id, and the registration instance it was
	 * resolved from.
	 *
	 * @param registration the registration instance
	 * @param clientDigest the digest of its client's identity
	 * @param systemKey its system key, {@code null} unless it is a client_credentials
	 * registration
	 * @param keyThumbprint the thumbprint of the key its tokens are bound to, or
	 * {@code null}
	 */
	private record Resolved(ClientRegistration registration, String clientDigest, @Nullable TokenKey systemKey,
			@Nullable String keyThumbprint) {

	}

	/**
	 * Return how many registrations are remembered, one per registration id at most.
	 * @return the number of registrations
	 */
	int registrationCount() {
		return this.resolved.size();
	}

}
