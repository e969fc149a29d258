package dev.dexpace.tokencache.oauth2;

import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * The Spring Security view of the tokens the cache holds: for each application
 * ({@link TokenKind#SYSTEM system}) key, the {@link OAuth2AuthorizedClient} built for its
 * current token, so that a cache hit hands out an existing object instead of building
 * one per call. The entry is also the last known token of its key, which is served when
 * the identity provider fails and the token has not really expired yet.
 * <p>
 * User keys are not remembered: there is one per user, and their tokens are bounded by
 * the cache alone.
 */
final class AuthorizedTokens {

	/**
	 * A bound for keys a custom {@link TokenKeyResolver} might mint per call: past it,
	 * new system keys are served without being remembered.
	 */
	static final int MAX_REMEMBERED = 1024;

	private final ConcurrentMap<TokenKey, AuthorizedToken> remembered = new ConcurrentHashMap<>();

	private final RefreshSchedule schedule;

	AuthorizedTokens(RefreshSchedule schedule) {
		this.schedule = schedule;
	}

	/**
	 * Return the authorized token for a cached token, built once per token of a system
	 * key.
	 * @param key the key the token is cached under
	 * @param registration the client registration
	 * @param token the cached token
	 * @param principal the principal asking
	 * @return the authorized token
	 */
	AuthorizedToken of(TokenKey key, ClientRegistration registration, CachedToken token, Authentication principal) {
		if (key.kind() != TokenKind.SYSTEM) {
			return build(registration, token, principal);
		}
		AuthorizedToken known = this.remembered.get(key);
		if (known != null && known.holds(registration, token)) {
			return known;
		}
		AuthorizedToken built = build(registration, token, principal);
		if (known != null || this.remembered.size() < MAX_REMEMBERED) {
			this.remembered.put(key, built);
		}
		return built;
	}

	/**
	 * Return the last token seen for a key, if it is remembered.
	 * @param key the key
	 * @return the last authorized token, or {@code null}
	 */
	@Nullable AuthorizedToken last(TokenKey key) {
		return (key.kind() != TokenKind.SYSTEM) ? null : this.remembered.get(key);
	}

	/**
	 * Forget the last token of a key, so it is never served stale.
	 * @param key the key
	 */
	void forget(TokenKey key) {
		this.remembered.remove(key);
	}

	private AuthorizedToken build(ClientRegistration registration, CachedToken token, Authentication principal) {
		OAuth2AccessToken accessToken = accessToken(token);
		return new AuthorizedToken(token, new OAuth2AuthorizedClient(registration, principal.getName(), accessToken),
				new WeakReference<>(principal), this.schedule.refreshAtMillis(token),
				RefreshSchedule.usableUntilMillis(token));
	}

	private static OAuth2AccessToken accessToken(CachedToken token) {
		Instant issuedAt = token.issuedAt();
		if (issuedAt != null && !token.expiresAt().isAfter(issuedAt)) {
			issuedAt = null;
		}
		return new OAuth2AccessToken(tokenType(token.tokenType()), token.tokenValue(), issuedAt, token.expiresAt(),
				token.scopes());
	}

	private static OAuth2AccessToken.TokenType tokenType(String value) {
		return OAuth2AccessToken.TokenType.DPOP.getValue().equalsIgnoreCase(value) ? OAuth2AccessToken.TokenType.DPOP
				: OAuth2AccessToken.TokenType.BEARER;
	}

	/**
	 * A cached token with the authorized client built for it.
	 *
	 * @param token the cached token
	 * @param client the authorized client of the first principal that asked
	 * @param principal that first principal, held weakly: the same instance again (such as
	 * the anonymous principal of calls outside a request) is known without asking for its
	 * name, which costs more than the rest of a hit
	 * @param refreshAtMillis from when a background refresh is due
	 * @param usableUntilMillis until when the token may be sent at all
	 */
	record AuthorizedToken(CachedToken token, OAuth2AuthorizedClient client, WeakReference<Authentication> principal,
			long refreshAtMillis, long usableUntilMillis) {

		/**
		 * Return the authorized client for a principal: the shared one when the name
		 * matches, else a new client around the same access token.
		 * @param principal the principal
		 * @return the authorized client
		 */
		OAuth2AuthorizedClient client(Authentication principal) {
			if (this.principal.get() == principal) {
				return this.client;
			}
			String principalName = principal.getName();
			if (this.client.getPrincipalName().equals(principalName)) {
				return this.client;
			}
			return new OAuth2AuthorizedClient(this.client.getClientRegistration(), principalName,
					this.client.getAccessToken());
		}

		boolean holds(ClientRegistration registration, CachedToken token) {
			return this.client.getClientRegistration() == registration
					&& (this.token == token || this.token.equals(token));
		}

		/**
		 * Return whether the token may still be sent when no newer one can be had.
		 * @param nowMillis the current epoch millisecond
		 * @param rejected the token the resource server rejected, if any
		 * @return whether the token has not really expired and was not rejected
		 */
		boolean usableWhenStale(long nowMillis, @Nullable String rejected) {
			return nowMillis < this.usableUntilMillis
					&& (rejected == null || !this.token.tokenValue().equals(rejected));
		}

	}

}
