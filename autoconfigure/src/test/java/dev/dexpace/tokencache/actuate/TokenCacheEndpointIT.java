package dev.dexpace.tokencache.actuate;

import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.EntryDescriptor;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.TokenCacheDescriptor;
import dev.dexpace.tokencache.test.ObservabilityContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code tokencache} endpoint on the in-memory cache, through the real
 * auto-configuration: it lists entries without token values, and its deletes make the
 * next call fetch a new token.
 */
class TokenCacheEndpointIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void close() {
		this.idp.close();
	}

	@Test
	void readListsEntriesWithoutTokenValues() {
		ObservabilityContexts.withObservability(TokenCacheContexts.runner(this.idp)).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			ObservabilityContexts.call(client, this.idp, "api");
			ObservabilityContexts.call(client, this.idp, "other");
			TokenCacheDescriptor descriptor = context.getBean(TokenCacheEndpoint.class).tokenCache();

			assertThat(descriptor.inspectable()).isTrue();
			assertThat(descriptor.entries()).extracting(EntryDescriptor::registration).containsExactly("api", "other");
			EntryDescriptor api = descriptor.entries().get(0);
			assertThat(api.kind()).isEqualTo("system");
			assertThat(api.scopes()).containsExactly("api.read", "api.write");
			assertThat(api.audience()).isNull();
			assertThat(api.keyDigest()).matches("[0-9a-f]{64}");
			assertThat(java.time.Duration.parse(api.remainingLifetime())).isPositive()
				.isLessThanOrEqualTo(java.time.Duration.ofMinutes(10));
			String json = JsonMapper.builder().build().writeValueAsString(descriptor);
			assertThat(json).contains("\"registration\":\"api\"").contains("\"keyDigest\"");
			assertThat(this.idp.issuedTokens()).hasSize(2).allSatisfy((token) -> assertThat(json).doesNotContain(token));
			assertThat(json).doesNotContain("secret");
		});
	}

	@Test
	void deletingARegistrationMakesTheNextCallFetchANewToken() {
		ObservabilityContexts.withObservability(TokenCacheContexts.runner(this.idp)).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			TokenCacheEndpoint endpoint = context.getBean(TokenCacheEndpoint.class);
			ObservabilityContexts.call(client, this.idp, "api");
			ObservabilityContexts.call(client, this.idp, "other");
			ObservabilityContexts.call(client, this.idp, "api");
			assertThat(this.idp.tokenRequests()).isEqualTo(2);

			assertThat(endpoint.deleteRegistration("api").deleted()).isEqualTo(1);
			assertThat(endpoint.tokenCache().entries()).extracting(EntryDescriptor::registration)
				.containsExactly("other");
			ObservabilityContexts.call(client, this.idp, "api");
			ObservabilityContexts.call(client, this.idp, "other");
			assertThat(this.idp.tokenRequests()).as("a new token for api only").isEqualTo(3);

			assertThat(endpoint.deleteAll().deleted()).isEqualTo(2);
			assertThat(endpoint.tokenCache().entries()).isEmpty();
			ObservabilityContexts.call(client, this.idp, "api");
			ObservabilityContexts.call(client, this.idp, "other");
			assertThat(this.idp.tokenRequests()).as("new tokens for both").isEqualTo(5);

			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("dexpace.token.cache.invalidations")
				.tags("tier", "system", "cause", "manual")
				.counter()
				.count()).isEqualTo(3);
		});
	}

	@Test
	void endpointIsAbsentUnlessExposed() {
		ObservabilityContexts.withObservability(TokenCacheContexts.runner(this.idp))
			.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run((context) -> assertThat(context).doesNotHaveBean(TokenCacheEndpoint.class));
	}

}
