package dev.dexpace.tokencache.hardening;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only requests that name a registration get a token, even when one
 * {@link RestClient.Builder} builds clients for the API and for a host that must never
 * see a token, and even when calls to both interleave on one client and many threads.
 */
class NoRegistrationNoTokenIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp);

	@AfterEach
	void stop() {
		this.idp.close();
	}

	@Test
	void clientsBuiltFromOneSharedBuilderSendNoTokenWhereNoRegistrationIsNamed() {
		this.contextRunner.run((context) -> {
			RestClient.Builder shared = context.getBean(RestClient.Builder.class);
			RestClient api = shared.baseUrl(this.idp.baseUrl()).build();
			RestClient thirdParty = shared.baseUrl(this.idp.elsewhereUri()).build();
			api.get()
				.uri("/api")
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
				.retrieve()
				.toBodilessEntity();
			thirdParty.get().retrieve().toBodilessEntity();
			api.get().uri("/elsewhere").retrieve().toBodilessEntity();
			assertThat(this.idp.apiCalls()).isOne();
			assertThat(this.idp.authorizationsElsewhere()).containsExactly("<none>", "<none>");
		});
	}

	@Test
	void interleavedCallsOnOneClientFromManyThreadsNeverCarryATokenElsewhere() throws Exception {
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			ExecutorService executor = Executors.newFixedThreadPool(8);
			List<Callable<Void>> calls = new ArrayList<>();
			for (int i = 0; i < 200; i++) {
				boolean registered = (i % 2 == 0);
				calls.add(() -> {
					if (registered) {
						TokenCacheContexts.callApi(client, this.idp);
					}
					else {
						client.get().uri(this.idp.elsewhereUri()).retrieve().toBodilessEntity();
					}
					return null;
				});
			}
			try {
				for (Future<Void> result : executor.invokeAll(calls)) {
					result.get();
				}
			}
			finally {
				executor.shutdown();
				assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
			}
			assertThat(this.idp.apiCalls()).isEqualTo(100);
			assertThat(this.idp.authorizationsElsewhere()).hasSize(100).containsOnly("<none>");
		});
	}

	/**
	 * With Spring Boot's default {@code spring.http.clients.redirects} the JDK client
	 * follows a redirect to another origin and sends the Authorization header there too
	 * (seen in this test before the property was set); the README tells users of
	 * registrations whose API may redirect to turn following off, as here.
	 */
	@Test
	void withRedirectsNotFollowedARedirectToAnotherOriginReceivesNoToken() {
		try (TestIdentityProvider thirdParty = new TestIdentityProvider()) {
			this.contextRunner
				.withConfiguration(AutoConfigurations.of(HttpClientAutoConfiguration.class,
						ImperativeHttpClientAutoConfiguration.class))
				.withPropertyValues("spring.http.clients.redirects=dont-follow")
				.run((context) -> {
				RestClient client = TokenCacheContexts.restClient(context);
				// Another port: another origin as far as the HTTP client can tell.
				ResponseEntity<Void> response = client.get()
					.uri(URI.create(this.idp.redirectUri(thirdParty.elsewhereUri())))
					.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
					.retrieve()
					.toBodilessEntity();
				assertThat(response.getStatusCode().value()).isEqualTo(302);
				assertThat(this.idp.tokenRequests()).isOne();
				assertThat(thirdParty.authorizationsElsewhere()).isEmpty();
			});
		}
	}

}
