package dev.dexpace.tokencache.oauth2;

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

	// System keys are the same for every call of a registration: build each once.
	private final ConcurrentMap<ClientRegistration, TokenKey> systemKeys = new ConcurrentHashMap<>();

	@Override
	public @Nullable TokenKey resolve(ClientRegistration registration, Authentication principal) {
		AuthorizationGrantType grantType = registration.getAuthorizationGrantType();
		if (AuthorizationGrantType.CLIENT_CREDENTIALS.equals(grantType)) {
			return this.systemKeys.computeIfAbsent(registration,
					(r) -> TokenKey.system(r.getRegistrationId(), r.getScopes(), null));
		}
		if (AuthorizationGrantType.TOKEN_EXCHANGE.equals(grantType)
				|| AuthorizationGrantType.JWT_BEARER.equals(grantType)) {
			if (principal.getPrincipal() instanceof OAuth2Token subjectToken) {
				return TokenKey.user(registration.getRegistrationId(), subjectToken.getTokenValue(),
						registration.getScopes(), null);
			}
		}
		return null;
	}

}
