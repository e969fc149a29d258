package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenCacheListenerAware;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * An {@link OAuth2AuthorizedClientManager} that puts a {@link TokenCache} in front of a
 * delegate manager. Tokens of registrations the {@link TokenKeyResolver} keys are served
 * from the cache; on a miss exactly one caller per key asks the delegate (single-flight)
 * and the others wait for its token or its error. Everything else goes to the delegate
 * unchanged.
 * <p>
 * A failing cache never fails a call: a read that fails is a miss, a write that fails is
 * skipped, and the failure is logged once per burst.
 *
 * @since 0.1.0
 */
public final class CachingOAuth2AuthorizedClientManager implements OAuth2AuthorizedClientManager, TokenCacheListenerAware {

	private static final Log logger = LogFactory.getLog(CachingOAuth2AuthorizedClientManager.class);

	private final OAuth2AuthorizedClientManager delegate;

	private final OAuth2AuthorizedClientManager passThrough;

	private final ClientRegistrationRepository registrations;

	private final TokenCache cache;

	private final TokenKeyResolver keyResolver;

	private final TokenLifetimeResolver lifetimeResolver;

	private final Clock clock;

	private final SingleFlight<TokenKey, CachedToken> flights = new SingleFlight<>();

	private final CacheFaults faults = new CacheFaults();

	private volatile TokenCacheListener listener = TokenCacheListener.NONE;

	/**
	 * Create a manager.
	 * @param delegate the manager that obtains tokens on a miss; it should not keep its
	 * own copy of tokens (see {@link NoStoreOAuth2AuthorizedClientService})
	 * @param registrations the client registrations
	 * @param cache the token cache
	 * @param keyResolver derives cache keys
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param clock the clock that tells the current time
	 */
	public CachingOAuth2AuthorizedClientManager(OAuth2AuthorizedClientManager delegate,
			ClientRegistrationRepository registrations, TokenCache cache, TokenKeyResolver keyResolver,
			TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this(delegate, delegate, registrations, cache, keyResolver, lifetimeResolver, clock);
	}

	/**
	 * Create a manager with a separate delegate for the registrations that are not
	 * cached, such as authorization_code logins whose clients live in Spring Security's
	 * authorized client service.
	 * @param delegate the manager that obtains cached tokens on a miss
	 * @param passThrough the manager for requests the {@link TokenKeyResolver} does not key
	 * @param registrations the client registrations
	 * @param cache the token cache
	 * @param keyResolver derives cache keys
	 * @param lifetimeResolver tells when a token from the delegate expires
	 * @param clock the clock that tells the current time
	 */
	public CachingOAuth2AuthorizedClientManager(OAuth2AuthorizedClientManager delegate,
			OAuth2AuthorizedClientManager passThrough, ClientRegistrationRepository registrations, TokenCache cache,
			TokenKeyResolver keyResolver, TokenLifetimeResolver lifetimeResolver, Clock clock) {
		this.delegate = delegate;
		this.passThrough = passThrough;
		this.registrations = registrations;
		this.cache = cache;
		this.keyResolver = keyResolver;
		this.lifetimeResolver = lifetimeResolver;
		this.clock = clock;
	}

	@Override
	public @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest authorizeRequest) {
		return authorize(authorizeRequest, null);
	}

	/**
	 * Drop a token the resource server rejected and authorize again: the rejected token is
	 * deleted only while the cache still holds it, and the new token is never the rejected
	 * one, even if the delegate kept a copy of it.
	 * @param authorizeRequest the request that was authorized with the rejected token
	 * @param rejected the rejected access token
	 * @return the authorized client with a new token, or {@code null}
	 */
	public @Nullable OAuth2AuthorizedClient reauthorize(OAuth2AuthorizeRequest authorizeRequest,
			OAuth2AccessToken rejected) {
		invalidate(authorizeRequest, rejected);
		return authorize(authorizeRequest, rejected);
	}

	/**
	 * Delete a token the resource server rejected, only while the cache still holds it.
	 * @param authorizeRequest the request that was authorized with the rejected token
	 * @param rejected the rejected access token
	 */
	public void invalidate(OAuth2AuthorizeRequest authorizeRequest, OAuth2AccessToken rejected) {
		ClientRegistration registration = registration(authorizeRequest);
		TokenKey key = (registration != null) ? this.keyResolver.resolve(registration, authorizeRequest.getPrincipal())
				: null;
		if (key != null) {
			CachedToken token = new CachedToken(rejected.getTokenValue(), rejected.getTokenType().getValue(),
					rejected.getScopes(), null, Instant.EPOCH);
			guarded("delete", () -> this.cache.delete(key, token));
			this.listener.invalidated(key.kind(), TokenCacheListener.InvalidationCause.UNAUTHORIZED);
		}
	}

	/**
	 * Delete whatever token is cached for a registration and principal. Used where the
	 * rejected token is not known, as in Spring Security's own interceptor.
	 * @param registrationId the client registration id
	 * @param principal the principal
	 */
	public void invalidate(String registrationId, Authentication principal) {
		ClientRegistration registration = this.registrations.findByRegistrationId(registrationId);
		TokenKey key = (registration != null) ? this.keyResolver.resolve(registration, principal) : null;
		if (key != null) {
			guarded("delete", () -> this.cache.delete(key));
			this.listener.invalidated(key.kind(), TokenCacheListener.InvalidationCause.UNAUTHORIZED);
		}
	}

	private @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest authorizeRequest,
			@Nullable OAuth2AccessToken rejected) {
		ClientRegistration registration = registration(authorizeRequest);
		if (registration == null) {
			return this.passThrough.authorize(authorizeRequest);
		}
		TokenKey key = this.keyResolver.resolve(registration, authorizeRequest.getPrincipal());
		if (key == null) {
			return this.passThrough.authorize(authorizeRequest);
		}
		CachedToken token = obtain(key, registration, authorizeRequest, rejected);
		if (token == null) {
			return null;
		}
		return new OAuth2AuthorizedClient(registration, authorizeRequest.getPrincipal().getName(), accessToken(token));
	}

	private @Nullable CachedToken obtain(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		CachedToken cached = read(key);
		boolean hit = usable(cached, rejected);
		this.listener.lookup(key.kind(), hit);
		if (hit) {
			return cached;
		}
		CachedToken token = this.flights.run(key, () -> load(key, registration, authorizeRequest, rejected));
		if (rejected != null && token != null && token.tokenValue().equals(rejected.getTokenValue())) {
			// Joined a load that started before the rejection: load once more on our own terms.
			token = this.flights.run(key, () -> load(key, registration, authorizeRequest, rejected));
		}
		return token;
	}

	private @Nullable CachedToken load(TokenKey key, ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		// Another load may have finished between our miss and the start of this one.
		CachedToken cached = read(key);
		if (usable(cached, rejected)) {
			return cached;
		}
		OAuth2AuthorizeRequest request = delegateRequest(registration, authorizeRequest, rejected);
		OAuth2AuthorizedClient client = this.listener.tokenRequest(key.registrationId(), key.kind(),
				() -> this.delegate.authorize(request));
		if (client == null) {
			return null;
		}
		OAuth2AccessToken accessToken = client.getAccessToken();
		CachedToken token = new CachedToken(accessToken.getTokenValue(), accessToken.getTokenType().getValue(),
				accessToken.getScopes(), accessToken.getIssuedAt(), this.lifetimeResolver.resolve(accessToken));
		if (logger.isDebugEnabled()) {
			logger.debug("Fetched token for " + key + ", expires at " + token.expiresAt());
		}
		guarded("put", () -> this.cache.put(key, token));
		return token;
	}

	/**
	 * After a rejection, hand the delegate an expired copy of the rejected token, so that
	 * a delegate which keeps its own copy fetches a new token instead of returning it.
	 */
	private OAuth2AuthorizeRequest delegateRequest(ClientRegistration registration,
			OAuth2AuthorizeRequest authorizeRequest, @Nullable OAuth2AccessToken rejected) {
		if (rejected == null) {
			return authorizeRequest;
		}
		Instant now = this.clock.instant();
		OAuth2AccessToken expired = new OAuth2AccessToken(rejected.getTokenType(), rejected.getTokenValue(),
				now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)), rejected.getScopes());
		Authentication principal = authorizeRequest.getPrincipal();
		return OAuth2AuthorizeRequest
			.withAuthorizedClient(new OAuth2AuthorizedClient(registration, principal.getName(), expired))
			.principal(principal)
			.attributes((attributes) -> attributes.putAll(authorizeRequest.getAttributes()))
			.build();
	}

	private @Nullable ClientRegistration registration(OAuth2AuthorizeRequest authorizeRequest) {
		OAuth2AuthorizedClient client = authorizeRequest.getAuthorizedClient();
		if (client != null) {
			return client.getClientRegistration();
		}
		return this.registrations.findByRegistrationId(authorizeRequest.getClientRegistrationId());
	}

	private static boolean usable(@Nullable CachedToken token, @Nullable OAuth2AccessToken rejected) {
		return token != null && (rejected == null || !token.tokenValue().equals(rejected.getTokenValue()));
	}

	private @Nullable CachedToken read(TokenKey key) {
		try {
			CachedToken token = this.cache.get(key);
			this.faults.succeeded();
			return token;
		}
		catch (RuntimeException ex) {
			this.faults.failed("get", ex);
			this.listener.cacheError("get");
			return null;
		}
	}

	private void guarded(String operation, Runnable action) {
		try {
			action.run();
			this.faults.succeeded();
		}
		catch (RuntimeException ex) {
			this.faults.failed(operation, ex);
			this.listener.cacheError(operation);
		}
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
	 * Report lookups, token requests, invalidations and cache errors to a listener.
	 * @param listener the listener
	 */
	@Override
	public void setListener(TokenCacheListener listener) {
		this.listener = listener;
	}

	/**
	 * Return how many cache operations failed since start-up.
	 * @return the number of failed cache operations
	 */
	public long cacheFailures() {
		return this.faults.failures();
	}

	/**
	 * Return the manager this one delegates to on a miss.
	 * @return the delegate
	 */
	public OAuth2AuthorizedClientManager getDelegate() {
		return this.delegate;
	}

	/**
	 * Return the token cache in front of the delegate.
	 * @return the cache
	 */
	public TokenCache getCache() {
		return this.cache;
	}

	@Override
	public String toString() {
		return "CachingOAuth2AuthorizedClientManager[cache=" + this.cache + ", delegate="
				+ this.delegate.getClass().getName() + "]";
	}

}
