package dev.dexpace.tokencache.oauth2;

import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.registration.ClientRegistration;

/**
 * Derives the {@link TokenKey} a token for a registration and principal is cached under.
 * Declare a bean of this type to key tokens differently, for example by audience.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface TokenKeyResolver {

	/**
	 * Return the key for a token of the given registration acting for the given principal.
	 * @param registration the client registration
	 * @param principal the principal the call is made for
	 * @return the key, or {@code null} if tokens of this registration are not cached (the
	 * call then goes to the delegate manager unchanged)
	 */
	@Nullable TokenKey resolve(ClientRegistration registration, Authentication principal);

}
