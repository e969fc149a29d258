package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.test.ObservabilityContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review: a manager in a scope (request, session) is decorated when its scope first asks
 * for it, after every singleton exists; its lookups and token requests are observed as
 * those of a singleton manager are.
 */
class DecoratedScopesReviewIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void stopIdp() {
		this.idp.close();
	}

	@Test
	void lookupsAndTokenRequestsOfAScopedManagerAreCountedAndTimed() {
		DecoratedScopesIT.RecordingScope scope = new DecoratedScopesIT.RecordingScope();
		ObservabilityContexts.withObservability(TokenCacheContexts.runner(this.idp))
			.withInitializer((context) -> context.getBeanFactory().registerScope("conversation", scope))
			.withUserConfiguration(DecoratedScopesIT.ScopedManagerConfiguration.class)
			.run((context) -> {
				OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
				assertThat(manager).isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
				assertThat(manager.authorize(
						OAuth2AuthorizeRequest.withClientRegistrationId("api").principal("app").build()))
					.isNotNull();
				assertThat(this.idp.tokenRequests()).isOne();
				assertThat(context.getBean(MeterRegistry.class)
					.find("dexpace.token.requests")
					.tag("registration", "api")
					.tag("outcome", "success")
					.timers()).singleElement().satisfies((timer) -> assertThat(timer.count()).isOne());
				assertThat(context.getBean(MeterRegistry.class)
					.get("dexpace.token.cache.lookups")
					.tag("result", "miss")
					.counters()
					.stream()
					.mapToDouble((counter) -> counter.count())
					.sum()).isOne();
				scope.end();
			});
	}

}
