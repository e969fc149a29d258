package dev.dexpace.tokencache.metrics;

import java.time.Duration;
import java.time.Instant;

import dev.dexpace.tokencache.autoconfigure.TokenCacheMetricsAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheObservationAutoConfiguration;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * The same metrics for {@code WebClient} calls as for {@code RestClient} calls: lookups,
 * token requests (timed by their observation), and a 401, counted exactly.
 */
class ReactiveTokenCacheMetricsIT {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final TestIdentityProvider idp = new TestIdentityProvider();

	// The backoff after a failed token request ends when the test says so.
	private final MovableClock backoffClock = new MovableClock(Instant.now());

	@AfterEach
	void close() {
		this.idp.close();
	}

	@Test
	void countsHitsMissesTokenRequestsAndA401Exactly() {
		ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					ObservationAutoConfiguration.class, TokenCacheMetricsAutoConfiguration.class,
					TokenCacheObservationAutoConfiguration.class))
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.backoffClock))
			.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				WebClient client = ReactiveTokenCacheContexts.webClient(context);

				// 1. the identity provider fails: a miss and a failed token request
				this.idp.failTokenRequests(1);
				assertThatException().isThrownBy(() -> ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT));
				this.backoffClock.advance(Duration.ofMinutes(1));
				// 2. a miss and a token request, then two hits
				for (int i = 0; i < 3; i++) {
					ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);
				}
				assertThat(this.idp.issuedTokens()).hasSize(1);
				// 3. the API rejects the cached token: a hit, a 401, then a miss and a new token
				this.idp.revoke(this.idp.issuedTokens().iterator().next());
				ReactiveTokenCacheContexts.callApi(client, this.idp).block(WAIT);
				assertThat(this.idp.tokenRequests()).isEqualTo(3);

				assertThat(count(registry, "dexpace.token.cache.lookups", "tier", "system", "result", "hit")).isEqualTo(3);
				assertThat(count(registry, "dexpace.token.cache.lookups", "tier", "system", "result", "miss"))
					.isEqualTo(3);
				assertThat(count(registry, "dexpace.token.cache.invalidations", "tier", "system", "cause",
						"unauthorized"))
					.isEqualTo(1);
				assertThat(registry.get("dexpace.token.cache.errors").counters())
					.allSatisfy((counter) -> assertThat(counter.count()).isZero());
				assertThat(timerCount(registry, "success")).isEqualTo(2);
				assertThat(timerCount(registry, "failure")).isEqualTo(1);
				assertThat(registry.get("dexpace.token.cache.entries").tag("tier", "system").gauge().value())
					.isEqualTo(1);

				assertThat(this.idp.issuedTokens()).hasSize(2);
				for (Meter meter : registry.getMeters()) {
					if (meter.getId().getName().startsWith("dexpace.")) {
						for (Tag tag : meter.getId().getTags()) {
							assertThat(this.idp.issuedTokens()).as("tag values of %s", meter.getId())
								.noneSatisfy((token) -> assertThat(tag.getValue()).contains(token));
						}
					}
				}
			});
	}

	private static double count(MeterRegistry registry, String name, String... tags) {
		return registry.get(name).tags(tags).counter().count();
	}

	private static long timerCount(MeterRegistry registry, String outcome) {
		return registry.get("dexpace.token.requests")
			.tag("registration", "api")
			.tag("outcome", outcome)
			.timer()
			.count();
	}

}
