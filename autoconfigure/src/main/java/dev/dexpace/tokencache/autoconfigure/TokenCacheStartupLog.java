package dev.dexpace.tokencache.autoconfigure;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.support.NoOpTokenCache;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Logs one INFO line at start-up that states the active configuration of the token
 * cache. Never a secret: of the encryption key only whether one is set.
 */
final class TokenCacheStartupLog implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(TokenCacheAutoConfiguration.class);

	private static final String REDIRECTS = "spring.http.clients.redirects";

	private static final String REDIS_CACHE = "dev.dexpace.tokencache.redis.RedisTokenCache";

	private final TokenCacheProperties properties;

	private final ObjectProvider<TokenCache> tokenCache;

	private final Environment environment;

	private final ObjectProvider<SslBundles> sslBundles;

	TokenCacheStartupLog(TokenCacheProperties properties, ObjectProvider<TokenCache> tokenCache,
			Environment environment, ObjectProvider<SslBundles> sslBundles) {
		this.properties = properties;
		this.tokenCache = tokenCache;
		this.environment = environment;
		this.sslBundles = sslBundles;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (logger.isInfoEnabled()) {
			logger.info(describe(this.tokenCache.getIfUnique()));
		}
		String redirects = redirectWarning();
		if (redirects != null && logger.isWarnEnabled()) {
			logger.warn(redirects);
		}
	}

	/**
	 * HTTP clients that follow redirects send the token on to the redirect target (the
	 * JDK client even to another host), and a 401 from there cannot be told from our
	 * token being rejected: it deletes a valid token and costs a token request on every
	 * call. Nothing in an interceptor or filter sees which host answered, so say it.
	 * @return the warning, or {@code null} when redirects are not followed
	 */
	@Nullable String redirectWarning() {
		String redirects = this.environment.getProperty(REDIRECTS, "follow-when-possible")
			.trim()
			.toLowerCase(Locale.ROOT)
			.replace('_', '-');
		if (redirects.equals("dont-follow")) {
			return null;
		}
		return "Token cache: HTTP clients follow redirects (" + REDIRECTS + "=" + redirects
				+ "): a call that names a client registration sends its token on to where it is redirected, and a 401"
				+ " from there deletes a valid token; set " + REDIRECTS + "=dont-follow";
	}

	private static String lock(TokenCacheProperties.Redis.Lock lock) {
		return lock.isEnabled() ? "on (lease " + TokenCacheProperties.format(lock.getLease()) + ")" : "off";
	}

	/**
	 * How many previous keys are read, only when there are any: how many, never which.
	 */
	private static String previousKeys(int count) {
		return (count > 0) ? " (reads " + count + " previous " + ((count == 1) ? "key" : "keys") + ")" : "";
	}

	private static String nearCache(TokenCacheProperties.Redis.NearCache nearCache) {
		return nearCache.isEnabled() ? "on (max-size " + nearCache.getMaxSize() + ", time-to-live "
				+ TokenCacheProperties.format(nearCache.getTimeToLive()) + ")" : "off";
	}

	String describe(@Nullable TokenCache cache) {
		StringBuilder line = new StringBuilder("Token cache: ");
		if (cache instanceof InMemoryTokenCache) {
			line.append("type=memory, max-system-tokens=")
				.append(this.properties.getMaxSystemTokens())
				.append(", max-user-tokens=")
				.append(this.properties.getMaxUserTokens());
		}
		else if (cache != null && cache.getClass().getName().equals(REDIS_CACHE)) {
			TokenCacheProperties.Redis redis = this.properties.getRedis();
			line.append("type=redis, key-prefix=")
				.append(redis.getKeyPrefix())
				.append(", timeout=")
				.append(TokenCacheProperties.format(redis.getTimeout()))
				.append(", failure-threshold=")
				.append(redis.getFailureThreshold())
				.append(", open-duration=")
				.append(TokenCacheProperties.format(redis.getOpenDuration()))
				.append(", encryption=")
				.append((redis.encryptionKeyBytes() != null) ? "on" : "off")
				.append(previousKeys(redis.previousEncryptionKeyBytes().size()))
				.append(", lock=")
				.append(lock(redis.getLock()))
				.append(", near-cache=")
				.append(nearCache(redis.getNearCache()));
		}
		else if (cache instanceof NoOpTokenCache) {
			line.append("type=none (every call fetches a token)");
		}
		else {
			line.append("type=custom (")
				.append((cache != null) ? ClassUtils.getUserClass(cache).getName() : "no unique TokenCache bean")
				.append(')');
		}
		return line.append(", expiry-buffer=")
			.append(TokenCacheProperties.format(this.properties.getExpiryBuffer()))
			.append(", fallback-ttl=")
			.append(TokenCacheProperties.format(this.properties.getFallbackTtl()))
			.append(", refresh-ahead=")
			.append(TokenCacheProperties.format(this.properties.getRefreshAhead()))
			.append(", token-request-timeout=")
			.append(TokenCacheProperties.format(this.properties.getTokenRequestTimeout()))
			.append(", retry-on-unauthorized=")
			.append(this.properties.isRetryOnUnauthorized())
			.append(tokenEndpointTls())
			.toString();
	}

	/**
	 * Which registrations reach their token endpoint over their own SSL bundle, and which
	 * of them present a client certificate there: an identity provider may bind their
	 * tokens to it (RFC 8705 {@code cnf.x5t#S256}), and the API then accepts them only
	 * over the same certificate. Names of registrations and bundles only, never a key.
	 */
	String tokenEndpointTls() {
		Map<String, String> bundles = new TreeMap<>();
		Set<String> bound = new TreeSet<>();
		Set<String> assertions = new TreeSet<>();
		SslBundles sslBundles = this.sslBundles.getIfAvailable();
		this.properties.getRegistration().forEach((id, registration) -> {
			String bundle = registration.getSslBundle();
			if (bundle != null && !bundle.isBlank()) {
				bundles.put(id, bundle.strip());
				if (sslBundles != null && hasPrivateKey(sslBundles, bundle.strip())) {
					bound.add(id);
				}
			}
			if (registration.getClientAssertion().getSslBundle() != null) {
				assertions.add(id);
			}
		});
		StringBuilder line = new StringBuilder();
		if (!bundles.isEmpty()) {
			line.append(", token-endpoint-ssl-bundles=").append(bundles);
		}
		if (!bound.isEmpty()) {
			line.append(", client-certificate (tokens may be certificate-bound; call the API over the same bundle)=")
				.append(bound);
		}
		if (!assertions.isEmpty()) {
			line.append(", private-key-jwt=").append(assertions);
		}
		return line.toString();
	}

	private static boolean hasPrivateKey(SslBundles sslBundles, String bundle) {
		try {
			return ClientAssertions.hasPrivateKey(sslBundles.getBundle(bundle));
		}
		catch (RuntimeException ex) {
			// A missing bundle stops start-up where the token clients are built.
			return false;
		}
	}

}
