package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.ReactiveTokenEndpointBackoffStore;
import dev.dexpace.tokencache.ReactiveTokenFetchLock;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenEndpointBackoffStore;
import dev.dexpace.tokencache.TokenFetchLock;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of the token cache.
 *
 * @since 0.1.0
 */
@ConfigurationProperties(TokenCacheProperties.CONFIG_PREFIX)
public class TokenCacheProperties implements InitializingBean {

	/**
	 * The prefix of every token cache property.
	 */
	public static final String CONFIG_PREFIX = "dexpace.token-cache";

	/**
	 * The RFC 8693 token type of an access token.
	 */
	public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

	/**
	 * Whether to enable the token cache.
	 */
	private boolean enabled = true;

	/**
	 * Token cache backend.
	 */
	private TokenCacheType type = TokenCacheType.MEMORY;

	/**
	 * Lifetime of a token whose response gives neither expires_at nor expires_in and that
	 * is not a JWT with an exp claim.
	 */
	private Duration fallbackTtl = Duration.ofMinutes(5);

	/**
	 * How long before its real expiry a cached token is treated as expired.
	 */
	private Duration expiryBuffer = Duration.ofSeconds(30);

	/**
	 * Maximum number of client_credentials tokens held in memory.
	 */
	private int maxSystemTokens = 32;

	/**
	 * Maximum number of per-user (token-exchange, jwt-bearer) tokens held in memory.
	 */
	private int maxUserTokens = 256;

	/**
	 * Whether to delete a token the API rejected with 401 and retry the call once with a
	 * new token.
	 */
	private boolean retryOnUnauthorized = true;

	/**
	 * How long before a token leaves the cache a background refresh may start, so that no
	 * call waits for the identity provider. Each token's refresh starts at a point drawn
	 * between this window and half of it, never earlier than half-way through the
	 * token's life. 0 turns refresh-ahead off.
	 */
	private Duration refreshAhead = Duration.ofMinutes(1);

	/**
	 * How long a token request may take, connecting and reading the response included,
	 * before it fails.
	 */
	private Duration tokenRequestTimeout = Duration.ofSeconds(10);

	/**
	 * Per client registration settings, keyed by registration id. A key from an
	 * environment variable (PARTNERAPI) matches the registration whose id is the same in
	 * lower case without dashes, dots or underscores (partner-api); a key that matches no
	 * client registration, or two of them, stops start-up.
	 */
	private final Map<String, Registration> registration = new LinkedHashMap<>();

	/**
	 * Settings of the Redis token cache (type=redis).
	 */
	private final Redis redis = new Redis();

	/**
	 * Settings of HTTP service clients (@ImportHttpServices groups).
	 */
	private final HttpService httpService = new HttpService();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public TokenCacheType getType() {
		return this.type;
	}

	public void setType(TokenCacheType type) {
		this.type = type;
	}

	public Duration getFallbackTtl() {
		return this.fallbackTtl;
	}

	public void setFallbackTtl(Duration fallbackTtl) {
		this.fallbackTtl = fallbackTtl;
	}

	public Duration getExpiryBuffer() {
		return this.expiryBuffer;
	}

	public void setExpiryBuffer(Duration expiryBuffer) {
		this.expiryBuffer = expiryBuffer;
	}

	public int getMaxSystemTokens() {
		return this.maxSystemTokens;
	}

	public void setMaxSystemTokens(int maxSystemTokens) {
		this.maxSystemTokens = maxSystemTokens;
	}

	public int getMaxUserTokens() {
		return this.maxUserTokens;
	}

	public void setMaxUserTokens(int maxUserTokens) {
		this.maxUserTokens = maxUserTokens;
	}

	public boolean isRetryOnUnauthorized() {
		return this.retryOnUnauthorized;
	}

	public void setRetryOnUnauthorized(boolean retryOnUnauthorized) {
		this.retryOnUnauthorized = retryOnUnauthorized;
	}

	public Duration getRefreshAhead() {
		return this.refreshAhead;
	}

	public void setRefreshAhead(Duration refreshAhead) {
		this.refreshAhead = refreshAhead;
	}

	public Duration getTokenRequestTimeout() {
		return this.tokenRequestTimeout;
	}

	public void setTokenRequestTimeout(Duration tokenRequestTimeout) {
		this.tokenRequestTimeout = tokenRequestTimeout;
	}

	public Map<String, Registration> getRegistration() {
		return this.registration;
	}

	public Redis getRedis() {
		return this.redis;
	}

	public HttpService getHttpService() {
		return this.httpService;
	}

	/**
	 * Fail start-up on a value the cache cannot work with, naming the property.
	 */
	@Override
	public void afterPropertiesSet() {
		require(isPositive(this.fallbackTtl), "fallback-ttl", this.fallbackTtl, "must be positive");
		require(!this.expiryBuffer.isNegative(), "expiry-buffer", this.expiryBuffer, "must not be negative");
		require(!this.refreshAhead.isNegative(), "refresh-ahead", this.refreshAhead, "must not be negative");
		require(isPositive(this.tokenRequestTimeout), "token-request-timeout", this.tokenRequestTimeout,
				"must be positive");
		if (this.expiryBuffer.compareTo(this.fallbackTtl) >= 0) {
			// Else a token whose lifetime is unknown would never be cached: one token
			// request per call, silently.
			throw invalid("expiry-buffer", this.expiryBuffer,
					"must be shorter than " + CONFIG_PREFIX + ".fallback-ttl (" + format(this.fallbackTtl) + ")");
		}
		require(this.maxSystemTokens > 0, "max-system-tokens", this.maxSystemTokens, "must be positive");
		require(this.maxUserTokens > 0, "max-user-tokens", this.maxUserTokens, "must be positive");
		this.registration.forEach((id, settings) -> {
			String type = settings.getSubjectTokenType();
			if (type.isBlank() || !type.startsWith("urn:")) {
				throw invalid("registration." + id + ".subject-token-type", type, "must be a token type URN");
			}
		});
		this.redis.validate();
	}

	/**
	 * Apply the settings that tune a caching manager.
	 * @param manager the manager
	 * @param cache the cache the manager serves tokens from
	 * @param backoff the application's backoff from failing token endpoints, if any
	 */
	void applyTo(CachingOAuth2AuthorizedClientManager manager, TokenCache cache,
			@Nullable TokenEndpointBackoff backoff) {
		manager.setExpiryBuffer(this.expiryBuffer);
		manager.setRefreshAhead(this.refreshAhead);
		manager.setFetchLock(fetchLock(cache, TokenFetchLock.class));
		// A shared cache also shares the waits token endpoints announce.
		manager.setBackoffStore(as(cache, TokenEndpointBackoffStore.class));
		if (backoff != null) {
			manager.setTokenEndpointBackoff(backoff);
		}
	}

	/**
	 * Apply the settings that tune a reactive caching manager, as
	 * {@link #applyTo(CachingOAuth2AuthorizedClientManager, TokenCache, TokenEndpointBackoff)}
	 * does.
	 * @param manager the manager
	 * @param cache the reactive token cache it uses
	 * @param backoff the application's backoff from failing token endpoints, if any
	 */
	void applyTo(CachingReactiveOAuth2AuthorizedClientManager manager, ReactiveTokenCache cache,
			@Nullable TokenEndpointBackoff backoff) {
		manager.setExpiryBuffer(this.expiryBuffer);
		manager.setRefreshAhead(this.refreshAhead);
		manager.setFetchLock(fetchLock(cache, ReactiveTokenFetchLock.class));
		manager.setBackoffStore(as(cache, ReactiveTokenEndpointBackoffStore.class));
		if (backoff != null) {
			manager.setTokenEndpointBackoff(backoff);
		}
	}

	/**
	 * Return the cache as the fleet-wide fetch lock, when it is one and
	 * {@code redis.lock.enabled} is on.
	 */
	private <L> @Nullable L fetchLock(Object cache, Class<L> lock) {
		return this.redis.getLock().isEnabled() ? as(cache, lock) : null;
	}

	private static <T> @Nullable T as(Object cache, Class<T> type) {
		return type.isInstance(cache) ? type.cast(cache) : null;
	}

	/**
	 * Settings of HTTP service clients.
	 */
	public static final class HttpService {

		/**
		 * Names of HTTP service groups the token cache leaves alone, as they would be
		 * without it: Spring Security's OAuth2 group configurer, if the application
		 * declares one, authorizes their requests, or nothing does.
		 */
		private Set<String> excludedGroups = new LinkedHashSet<>();

		public Set<String> getExcludedGroups() {
			return this.excludedGroups;
		}

		public void setExcludedGroups(Set<String> excludedGroups) {
			// A trailing comma binds an empty name, which no group has.
			this.excludedGroups = excludedGroups.stream()
				.filter((name) -> !name.isBlank())
				.collect(Collectors.toCollection(LinkedHashSet::new));
		}

	}

	/**
	 * Settings of the Redis token cache.
	 */
	public static final class Redis {

		/**
		 * Prefix of every Redis key the token cache writes; clear() removes only keys under
		 * it.
		 */
		private String keyPrefix = "dexpace:token-cache:";

		/**
		 * Base64-encoded 256-bit AES key. When set, values are encrypted with AES-GCM and
		 * bound to their Redis key; when not set, values are stored in plain form.
		 */
		private @Nullable String encryptionKey;

		/**
		 * Base64-encoded 256-bit AES keys that values may still be sealed with, read but
		 * never used to seal. To rotate the key, move the old encryption-key here and set a
		 * new one; remove it once the values it sealed have expired.
		 */
		private List<String> previousEncryptionKeys = new ArrayList<>();

		/**
		 * How long one Redis operation of the token cache may take before it is treated as
		 * a miss and the token is fetched from the identity provider.
		 */
		private Duration timeout = Duration.ofMillis(200);

		/**
		 * Number of consecutive Redis failures after which the token cache stops trying
		 * Redis for open-duration.
		 */
		private int failureThreshold = 5;

		/**
		 * How long the token cache leaves Redis alone after failure-threshold consecutive
		 * failures before it tries again.
		 */
		private Duration openDuration = Duration.ofSeconds(5);

		/**
		 * Fleet-wide single-flight: one token request per key across all instances.
		 */
		private final Lock lock = new Lock();

		/**
		 * In-memory tier in front of Redis, so that a hit costs no round trip.
		 */
		private final NearCache nearCache = new NearCache();

		public Lock getLock() {
			return this.lock;
		}

		public NearCache getNearCache() {
			return this.nearCache;
		}

		public String getKeyPrefix() {
			return this.keyPrefix;
		}

		public void setKeyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
		}

		public @Nullable String getEncryptionKey() {
			return this.encryptionKey;
		}

		public void setEncryptionKey(@Nullable String encryptionKey) {
			this.encryptionKey = encryptionKey;
		}

		public List<String> getPreviousEncryptionKeys() {
			return this.previousEncryptionKeys;
		}

		public void setPreviousEncryptionKeys(List<String> previousEncryptionKeys) {
			this.previousEncryptionKeys = previousEncryptionKeys;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public int getFailureThreshold() {
			return this.failureThreshold;
		}

		public void setFailureThreshold(int failureThreshold) {
			this.failureThreshold = failureThreshold;
		}

		public Duration getOpenDuration() {
			return this.openDuration;
		}

		public void setOpenDuration(Duration openDuration) {
			this.openDuration = openDuration;
		}

		/**
		 * Return the decoded encryption key.
		 * @return the 32-byte key, or {@code null} if none is set
		 */
		byte @Nullable [] encryptionKeyBytes() {
			return (this.encryptionKey != null && !this.encryptionKey.isBlank()) ? decodeKey(this.encryptionKey) : null;
		}

		/**
		 * Return the decoded previous encryption keys, leaving out blank entries.
		 * @return the 32-byte keys
		 * @throws InvalidEncryptionKeyException if one of them is not a 256-bit key
		 */
		List<byte[]> previousEncryptionKeyBytes() {
			List<byte[]> keys = new ArrayList<>(this.previousEncryptionKeys.size());
			for (int i = 0; i < this.previousEncryptionKeys.size(); i++) {
				String encoded = this.previousEncryptionKeys.get(i);
				if (encoded == null || encoded.isBlank()) {
					continue;
				}
				byte[] key = decodeKey(encoded);
				if (key == null) {
					throw new InvalidEncryptionKeyException(
							CONFIG_PREFIX + ".redis.previous-encryption-keys[" + i + "]");
				}
				keys.add(key);
			}
			return keys;
		}

		private static byte @Nullable [] decodeKey(String encoded) {
			try {
				byte[] key = Base64.getDecoder().decode(encoded.strip());
				return (key.length == 32) ? key : null;
			}
			catch (IllegalArgumentException ex) {
				return null;
			}
		}

		void validate() {
			require(!this.keyPrefix.isBlank(), "redis.key-prefix", this.keyPrefix, "must not be blank");
			require(isPositive(this.timeout), "redis.timeout", this.timeout, "must be positive");
			require(this.failureThreshold > 0, "redis.failure-threshold", this.failureThreshold, "must be positive");
			require(isPositive(this.openDuration), "redis.open-duration", this.openDuration, "must be positive");
			require(this.lock.lease.toMillis() > 0, "redis.lock.lease", this.lock.lease, "must be at least 1ms");
			require(this.nearCache.maxSize > 0, "redis.near-cache.max-size", this.nearCache.maxSize,
					"must be positive");
			require(this.nearCache.timeToLive.toMillis() > 0, "redis.near-cache.time-to-live",
					this.nearCache.timeToLive, "must be at least 1ms");
			if (this.encryptionKey != null && !this.encryptionKey.isBlank() && encryptionKeyBytes() == null) {
				// Never echo the value: even a wrong key may be a real secret with a typo.
				throw new InvalidEncryptionKeyException(CONFIG_PREFIX + ".redis.encryption-key");
			}
			previousEncryptionKeyBytes();
		}


		/**
		 * Settings of the fleet-wide single-flight of the Redis token cache.
		 */
		public static final class Lock {

			/**
			 * Whether an instance that misses takes a short lease on the key in Redis, so that
			 * only one instance of the fleet asks the identity provider while the others wait
			 * for its token.
			 */
			private boolean enabled = true;

			/**
			 * How long a lease lasts unless its holder releases it: the longest an instance
			 * that dies while fetching delays the others. Waiters fetch on their own after
			 * twice this long.
			 */
			private Duration lease = Duration.ofSeconds(5);

			public boolean isEnabled() {
				return this.enabled;
			}

			public void setEnabled(boolean enabled) {
				this.enabled = enabled;
			}

			public Duration getLease() {
				return this.lease;
			}

			public void setLease(Duration lease) {
				this.lease = lease;
			}

		}

		/**
		 * Settings of the near cache of the Redis token cache.
		 */
		public static final class NearCache {

			/**
			 * Whether to keep tokens read from Redis in memory too, invalidated on every
			 * instance through Redis pub/sub when any instance deletes one.
			 */
			private boolean enabled;

			/**
			 * Maximum number of tokens held in the near cache.
			 */
			private long maxSize = 1024;

			/**
			 * Longest time a token stays in the near cache, however long its Redis key lives;
			 * it bounds how long an invalidation lost while the subscription reconnects can
			 * go unnoticed.
			 */
			private Duration timeToLive = Duration.ofMinutes(1);

			public boolean isEnabled() {
				return this.enabled;
			}

			public void setEnabled(boolean enabled) {
				this.enabled = enabled;
			}

			public long getMaxSize() {
				return this.maxSize;
			}

			public void setMaxSize(long maxSize) {
				this.maxSize = maxSize;
			}

			public Duration getTimeToLive() {
				return this.timeToLive;
			}

			public void setTimeToLive(Duration timeToLive) {
				this.timeToLive = timeToLive;
			}

		}

	}

	/**
	 * Settings of one client registration.
	 */
	public static final class Registration {

		/**
		 * Token type sent as subject_token_type in a token-exchange request. Many identity
		 * providers reject the jwt type for access tokens, so an access token is sent as an
		 * access token by default.
		 */
		private String subjectTokenType = ACCESS_TOKEN_TYPE;

		/**
		 * Name of the SSL bundle (spring.ssl.bundle.*) for TLS to the token endpoint of
		 * this registration, instead of spring.http.clients.ssl.bundle: its trust store
		 * for a private certificate authority, its key store for the client certificate
		 * of tls_client_auth or self_signed_tls_client_auth (RFC 8705).
		 */
		private @Nullable String sslBundle;

		/**
		 * Signing key of the JWT client assertion (private_key_jwt, client_secret_jwt).
		 */
		private final ClientAssertion clientAssertion = new ClientAssertion();

		public String getSubjectTokenType() {
			return this.subjectTokenType;
		}

		public void setSubjectTokenType(String subjectTokenType) {
			this.subjectTokenType = subjectTokenType;
		}

		public @Nullable String getSslBundle() {
			return this.sslBundle;
		}

		public void setSslBundle(@Nullable String sslBundle) {
			this.sslBundle = sslBundle;
		}

		public ClientAssertion getClientAssertion() {
			return this.clientAssertion;
		}

		/**
		 * DPoP (RFC 9449): tokens bound to a key of the application.
		 */
		private final Dpop dpop = new Dpop();

		public Dpop getDpop() {
			return this.dpop;
		}

	}

	/**
	 * DPoP settings of one registration.
	 */
	public static final class Dpop {

		/**
		 * Whether token requests carry a DPoP proof and calls send the bound token as
		 * "Authorization: DPoP" with a proof for each call.
		 */
		private boolean enabled;

		/**
		 * Name of the SSL bundle whose key signs the proofs (the bundle's key alias, or its
		 * only key), so that every instance of a fleet has the same key and shares bound
		 * tokens. When not set, each instance generates a key at start-up.
		 */
		private @Nullable String sslBundle;

		/**
		 * JWS algorithm of the proofs: ES256, ES384, ES512, PS256, PS384, PS512 or RS256.
		 */
		private String algorithm = "ES256";

		/**
		 * Whether a bearer token is accepted when the identity provider does not bind the
		 * token to the key (answers a token_type other than DPoP).
		 */
		private boolean allowBearer;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable String getSslBundle() {
			return this.sslBundle;
		}

		public void setSslBundle(@Nullable String sslBundle) {
			this.sslBundle = sslBundle;
		}

		public String getAlgorithm() {
			return this.algorithm;
		}

		public void setAlgorithm(String algorithm) {
			this.algorithm = algorithm;
		}

		public boolean isAllowBearer() {
			return this.allowBearer;
		}

		public void setAllowBearer(boolean allowBearer) {
			this.allowBearer = allowBearer;
		}

	}

	/**
	 * Settings of the JWT a registration authenticates with at the token endpoint (RFC
	 * 7523).
	 */
	public static final class ClientAssertion {

		/**
		 * Name of the SSL bundle whose key store holds the private key that signs the
		 * client assertion of private_key_jwt, under the bundle's key alias (or its only
		 * key).
		 */
		private @Nullable String sslBundle;

		/**
		 * JWS algorithm of the client assertion, such as RS256, PS256, ES256 or, for
		 * client_secret_jwt, HS256. By default RS256 for an RSA key, ES256, ES384 or ES512
		 * for an EC key by its curve, and HS256 for client_secret_jwt.
		 */
		private @Nullable String algorithm;

		/**
		 * Key id (kid header) of the client assertion, so that the identity provider can
		 * pick the key from the client's JWK set. None by default.
		 */
		private @Nullable String keyId;

		public @Nullable String getSslBundle() {
			return this.sslBundle;
		}

		public void setSslBundle(@Nullable String sslBundle) {
			this.sslBundle = sslBundle;
		}

		public @Nullable String getAlgorithm() {
			return this.algorithm;
		}

		public void setAlgorithm(@Nullable String algorithm) {
			this.algorithm = algorithm;
		}

		public @Nullable String getKeyId() {
			return this.keyId;
		}

		public void setKeyId(@Nullable String keyId) {
			this.keyId = keyId;
		}

	}

	private static void require(boolean valid, String property, Object value, String reason) {
		if (!valid) {
			throw invalid(property, value, reason);
		}
	}

	private static boolean isPositive(Duration duration) {
		return !duration.isNegative() && !duration.isZero();
	}

	static InvalidConfigurationPropertyValueException invalid(String property, Object value, String reason) {
		Object shown = (value instanceof Duration duration) ? format(duration) : value;
		return new InvalidConfigurationPropertyValueException(CONFIG_PREFIX + "." + property, shown, reason);
	}

	/**
	 * Show a duration the way it is written in properties ({@code -5m}), not as ISO-8601.
	 */
	static String format(Duration duration) {
		if (duration.isZero()) {
			return "0s";
		}
		if (duration.toSeconds() % 60 == 0 && duration.toNanosPart() == 0) {
			return duration.toMinutes() + "m";
		}
		if (duration.toNanosPart() == 0) {
			return duration.toSeconds() + "s";
		}
		return duration.toMillis() + "ms";
	}

}
