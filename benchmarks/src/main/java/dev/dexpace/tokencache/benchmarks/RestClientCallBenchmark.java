package dev.dexpace.tokencache.benchmarks;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jose.JWSAlgorithm;
import dev.dexpace.tokencache.dpop.DPoPProofs;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * One whole {@code RestClient} call with a cached token against an API on loopback: our
 * interceptor beside Spring Security's {@code OAuth2ClientHttpRequestInterceptor}, both
 * on the same JDK HTTP client. The HTTP round trip dominates; the difference is what the
 * token handling adds to a real call. And the same call with a DPoP-bound token (a proof
 * signed with ES256 for every call) against the bearer call, same API, same client.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class RestClientCallBenchmark {

	private LocalIdentityProvider idp;

	private CachingOAuth2AuthorizedClientManager manager;

	private RestClient tokenCache;

	private RestClient stock;

	private LocalIdentityProvider dpopIdp;

	private CachingOAuth2AuthorizedClientManager dpopManager;

	private RestClient dpop;

	@Setup(Level.Trial)
	public void setUp() {
		this.idp = new LocalIdentityProvider();
		Managers managers = new Managers(this.idp.tokenUri());
		JdkClientHttpRequestFactory requestFactory = new JdkClientHttpRequestFactory(
				HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
		this.manager = managers.tokenCache(Duration.ofSeconds(30), Duration.ZERO);
		this.tokenCache = Managers.tokenCacheClient(this.manager, requestFactory);
		this.stock = Managers.stockClient(managers.stock(Duration.ofSeconds(60)), requestFactory);
		Managers.call(this.tokenCache, this.idp.apiUri());
		Managers.call(this.stock, this.idp.apiUri());
		this.dpopIdp = new LocalIdentityProvider().tokenType("DPoP");
		this.dpopManager = new Managers(this.dpopIdp.tokenUri()).tokenCache(Duration.ofSeconds(30), Duration.ZERO);
		DPoPRegistrations bindings = new DPoPRegistrations(Map.of(Managers.REGISTRATION_ID,
				new DPoPRegistrations.Binding(DPoPProofs.generate(JWSAlgorithm.ES256), false)));
		this.dpop = RestClient.builder()
			.requestFactory(requestFactory)
			.requestInterceptor(new TokenCacheClientHttpRequestInterceptor(this.dpopManager, true, bindings))
			.build();
		Managers.call(this.dpop, this.dpopIdp.apiUri());
		if (this.dpopIdp.tokenRequests() != 1) {
			throw new IllegalStateException("The DPoP call did not use one cached token");
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		this.manager.close();
		this.idp.close();
		this.dpopManager.close();
		this.dpopIdp.close();
	}

	@Benchmark
	public void tokenCacheCall() {
		Managers.call(this.tokenCache, this.idp.apiUri());
	}

	@Benchmark
	public void dpopTokenCacheCall() {
		Managers.call(this.dpop, this.dpopIdp.apiUri());
	}

	@Benchmark
	public void stockSpringSecurityCall() {
		Managers.call(this.stock, this.idp.apiUri());
	}

}
