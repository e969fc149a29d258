package dev.dexpace.tokencache.actuate;

import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.EntryDescriptor;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.TokenCacheDescriptor;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code tokencache} endpoint on the in-memory cache, through the real
 * auto-configuration: it lists entries without token values, and its deletes make the
 * next call fetch a new token, in a non-reactive application with {@code RestClient} and a
 * reactive one with {@code WebClient} alike.
 */
class TokenCacheEndpointIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void close() {
		this.idp.close();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void readListsEntriesWithoutTokenValues(Facade facade) {
		facade.runner(this.idp).withObservability().run((context) -> {
			facade.call(context, this.idp, "api");
			facade.call(context, this.idp, "other");
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

	@ParameterizedTest
	@EnumSource(Facade.class)
	void deletingARegistrationMakesTheNextCallFetchANewToken(Facade facade) {
		facade.runner(this.idp).withObservability().run((context) -> {
			TokenCacheEndpoint endpoint = context.getBean(TokenCacheEndpoint.class);
			facade.call(context, this.idp, "api");
			facade.call(context, this.idp, "other");
			facade.call(context, this.idp, "api");
			assertThat(this.idp.tokenRequests()).isEqualTo(2);

			assertThat(endpoint.deleteRegistration("api").deleted()).isEqualTo(1);
			assertThat(endpoint.tokenCache().entries()).extracting(EntryDescriptor::registration)
				.containsExactly("other");
			facade.call(context, this.idp, "api");
			facade.call(context, this.idp, "other");
			assertThat(this.idp.tokenRequests()).as("a new token for api only").isEqualTo(3);

			assertThat(endpoint.deleteAll().deleted()).isEqualTo(2);
			assertThat(endpoint.tokenCache().entries()).isEmpty();
			facade.call(context, this.idp, "api");
			facade.call(context, this.idp, "other");
			assertThat(this.idp.tokenRequests()).as("new tokens for both").isEqualTo(5);

			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("dexpace.token.cache.invalidations")
				.tags("tier", "system", "cause", "manual")
				.counter()
				.count()).isEqualTo(3);
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void endpointIsAbsentUnlessExposed(Facade facade) {
		facade.runner(this.idp).withObservability()
			.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run((context) -> assertThat(context.getBeansOfType(TokenCacheEndpoint.class)).isEmpty());
	}

}
