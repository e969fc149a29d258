package dev.dexpace.tokencache.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A known sequence of calls through the real auto-configuration (Boot's meter registry
 * and observation registry, a real token endpoint and API) leaves exactly the expected
 * counts, and no meter carries a token: the same counts for {@code RestClient} calls in a
 * non-reactive application and {@code WebClient} calls in a reactive one.
 */
class TokenCacheMetricsIT {

	private static final Set<String> TAG_KEYS = Set.of("tier", "result", "cause", "operation", "registration",
			"outcome", "error", "reason");

	private final TestIdentityProvider idp = new TestIdentityProvider();

	// The backoff after a failed token request ends when the test says so.
	private final MovableClock backoffClock = new MovableClock(Instant.now());

	@AfterEach
	void close() {
		this.idp.close();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void countsHitsMissesTokenRequestsA401AndAnEvictionBySizeExactly(Facade facade) {
		facade.runner(this.idp)
			.withObservability()
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.backoffClock))
			.withPropertyValues("dexpace.token-cache.max-system-tokens=1")
			.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);

				// 1. the identity provider fails: a miss and a failed token request
				this.idp.failTokenRequests(1);
				assertThatExceptionOfType(ClientAuthorizationException.class)
					.isThrownBy(() -> facade.call(context, this.idp, "api"));
				this.backoffClock.advance(Duration.ofMinutes(1));
				// 2. a miss and a token request, then two hits
				facade.call(context, this.idp, "api");
				facade.call(context, this.idp, "api");
				facade.call(context, this.idp, "api");
				assertThat(this.idp.issuedTokens()).hasSize(1);
				// 3. the API rejects the cached token: a hit, a 401, then a miss and a new token
				this.idp.revoke(this.idp.issuedTokens().iterator().next());
				facade.call(context, this.idp, "api");
				// 4. another registration fills the one-entry system tier: a miss, a token
				// request and one eviction by size
				facade.call(context, this.idp, "other");
				assertThat(this.idp.tokenRequests()).isEqualTo(4);

				assertThat(count(registry, "dexpace.token.cache.lookups", "tier", "system", "result", "hit")).isEqualTo(3);
				assertThat(count(registry, "dexpace.token.cache.lookups", "tier", "system", "result", "miss"))
					.isEqualTo(4);
				assertThat(count(registry, "dexpace.token.cache.lookups", "tier", "user", "result", "hit")).isZero();
				assertThat(count(registry, "dexpace.token.cache.lookups", "tier", "user", "result", "miss")).isZero();
				assertThat(count(registry, "dexpace.token.cache.invalidations", "tier", "system", "cause",
						"unauthorized"))
					.isEqualTo(1);
				assertThat(count(registry, "dexpace.token.cache.invalidations", "tier", "system", "cause", "manual"))
					.isZero();
				assertThat(count(registry, "dexpace.token.cache.evictions", "tier", "system", "cause", "size"))
					.isEqualTo(1);
				assertThat(count(registry, "dexpace.token.cache.evictions", "tier", "system", "cause", "expired"))
					.isZero();
				assertThat(registry.get("dexpace.token.cache.errors").counters())
					.allSatisfy((counter) -> assertThat(counter.count()).isZero());
				assertThat(timerCount(registry, "api", "success")).isEqualTo(2);
				assertThat(timerCount(registry, "api", "failure")).isEqualTo(1);
				assertThat(timerCount(registry, "other", "success")).isEqualTo(1);
				assertThat(registry.get("dexpace.token.cache.entries").tag("tier", "system").gauge().value())
					.isEqualTo(1);
				assertThat(registry.get("dexpace.token.cache.entries").tag("tier", "user").gauge().value()).isZero();

				assertThat(this.idp.issuedTokens()).hasSize(3);
				for (Meter meter : registry.getMeters()) {
					if (meter.getId().getName().startsWith("dexpace.")) {
						for (Tag tag : meter.getId().getTags()) {
							assertThat(TAG_KEYS).as("tag keys of %s", meter.getId()).contains(tag.getKey());
							assertThat(this.idp.issuedTokens()).as("tag values of %s", meter.getId())
								.noneSatisfy((token) -> assertThat(tag.getValue()).contains(token));
							assertThat(tag.getValue()).doesNotContain("secret");
						}
					}
				}
			});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void countsTokenRequestsSkippedDuringABackoffAndTheEndpointsInBackoff(Facade facade) {
		facade.runner(this.idp)
			.withObservability()
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.backoffClock))
			.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.get(TokenEndpointBackoffMeterBinder.ENDPOINTS_IN_BACKOFF).gauge().value()).isZero();
				this.idp.failTokenRequests(1, 503, Map.of("Retry-After", "30"));
				for (int i = 0; i < 3; i++) {
					assertThatExceptionOfType(OAuth2AuthorizationException.class)
						.isThrownBy(() -> facade.call(context, this.idp, "api"));
				}
				assertThat(this.idp.tokenRequests()).isOne();
				assertThat(count(registry, TokenCacheMetrics.SKIPPED_REQUESTS, "tier", "system", "reason", "busy"))
					.isEqualTo(2);
				assertThat(count(registry, TokenCacheMetrics.SKIPPED_REQUESTS, "tier", "system", "reason",
						"unavailable"))
					.isZero();
				assertThat(registry.get(TokenEndpointBackoffMeterBinder.ENDPOINTS_IN_BACKOFF).gauge().value())
					.isEqualTo(1);
				this.backoffClock.advance(Duration.ofSeconds(30));
				assertThat(registry.get(TokenEndpointBackoffMeterBinder.ENDPOINTS_IN_BACKOFF).gauge().value()).isZero();
				facade.call(context, this.idp, "api");
				assertThat(this.idp.tokenRequests()).isEqualTo(2);
			});
	}

	private static double count(MeterRegistry registry, String name, String... tags) {
		return registry.get(name).tags(tags).counter().count();
	}

	private static long timerCount(MeterRegistry registry, String registration, String outcome) {
		return registry.get("dexpace.token.requests")
			.tag("registration", registration)
			.tag("outcome", outcome)
			.timer()
			.count();
	}

}
