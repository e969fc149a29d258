package dev.dexpace.tokencache.benchmarks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.DefaultTokenKeyResolver;
import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * The cost of a token that is already held, through the whole
 * {@code OAuth2AuthorizedClientManager#authorize} call: our caching manager on the
 * in-memory cache beside stock Spring Security's
 * {@link AuthorizedClientServiceOAuth2AuthorizedClientManager} on
 * {@link InMemoryOAuth2AuthorizedClientService}, both for a client_credentials
 * registration, and a floor: a bare Caffeine lookup of a prebuilt key and an expiry check,
 * the least any cache can do. No token endpoint is involved: both sides hold the token
 * before measuring starts, so this isolates the hit path. Report them as ratios measured
 * in the same run; run with {@code -prof gc} for bytes per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class HitPathBenchmark {

	private final Cache<String, Expiring> floorCache = Caffeine.newBuilder().maximumSize(32).build();

	private CachingOAuth2AuthorizedClientManager tokenCache;

	private AuthorizedClientServiceOAuth2AuthorizedClientManager stock;

	private OAuth2AuthorizeRequest request;

	private InMemoryTokenCache cache;

	private TokenKey key;

	@Setup
	public void setUp() {
		ClientRegistration registration = ClientRegistration.withRegistrationId("api")
			.clientId("app")
			.clientSecret("secret")
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope("api.read")
			.tokenUri("http://127.0.0.1:9/token")
			.build();
		InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registration);
		Instant now = Instant.now();
		OAuth2AccessToken accessToken = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "token-value", now,
				now.plus(Duration.ofHours(1)), Set.of("api.read"));
		Authentication principal = new TestingAuthenticationToken("user-1", null);
		this.request = OAuth2AuthorizeRequest.withClientRegistrationId("api").principal(principal).build();

		InMemoryOAuth2AuthorizedClientService service = new InMemoryOAuth2AuthorizedClientService(registrations);
		service.saveAuthorizedClient(new OAuth2AuthorizedClient(registration, "user-1", accessToken), principal);
		this.stock = new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, service);
		this.stock.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());

		InMemoryTokenCache cache = new InMemoryTokenCache(32, 256, Duration.ofSeconds(30));
		this.cache = cache;
		// The key the caching manager resolves for the registration above.
		this.key = TokenKey.system("api", TokenKey.clientDigest("app", "http://127.0.0.1:9/token"), Set.of("api.read"),
				null);
		cache.put(this.key, new CachedToken("token-value", "Bearer",
				Set.of("api.read"), now, now.plus(Duration.ofHours(1))));
		AuthorizedClientServiceOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				registrations, new NoStoreOAuth2AuthorizedClientService());
		this.tokenCache = new CachingOAuth2AuthorizedClientManager(delegate, registrations, cache,
				new DefaultTokenKeyResolver(), new TokenLifetimeResolver(Duration.ofMinutes(5), Clock.systemUTC()),
				Clock.systemUTC());
		// As auto-configured by default.
		this.tokenCache.setExpiryBuffer(Duration.ofSeconds(30));
		this.tokenCache.setRefreshAhead(Duration.ofMinutes(1));
		this.floorCache.put("api", new Expiring("token-value", now.plus(Duration.ofHours(1)).toEpochMilli()));
		if (this.tokenCache.authorize(this.request) == null || this.stock.authorize(this.request) == null) {
			throw new IllegalStateException("Both managers must hold the token before measuring");
		}
	}

	@Benchmark
	public OAuth2AuthorizedClient tokenCacheHit() {
		return this.tokenCache.authorize(this.request);
	}

	/**
	 * The cache alone, without the manager: the in-memory cache's share of a hit.
	 * @return the cached token
	 */
	@Benchmark
	public @Nullable CachedToken inMemoryCacheGet() {
		return this.cache.get(this.key);
	}

	/**
	 * One read of the monotonic clock, which the floor, the cache and the refresh-ahead
	 * check each pay once: on virtual machines it is often the largest part of a hit.
	 * @return the clock reading
	 */
	@Benchmark
	public long clockRead() {
		return System.nanoTime();
	}

	@Benchmark
	public OAuth2AuthorizedClient stockSpringSecurityHit() {
		return this.stock.authorize(this.request);
	}

	@Benchmark
	public @Nullable String floorCaffeineLookup() {
		Expiring token = this.floorCache.getIfPresent("api");
		return (token != null && System.currentTimeMillis() < token.expiresAtMillis()) ? token.value() : null;
	}

	/**
	 * The least a cached token can be: a value and when it expires.
	 *
	 * @param value the token value
	 * @param expiresAtMillis the expiry in epoch milliseconds
	 */
	record Expiring(String value, long expiresAtMillis) {

	}

}
