package dev.dexpace.tokencache.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TestIdentityProvider.Shape;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.context.ApplicationContext;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Token requests counted at a real token endpoint for the reactive scenarios, side by side
 * in one run: the auto-configured WebClient of this starter, and stock Spring Security
 * 7.0 ({@link ServerOAuth2AuthorizedClientExchangeFilterFunction} on an
 * {@link AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager} with Spring
 * Security's in-memory authorized client service, the wiring its reference guide shows).
 * Printed as {@code FIGURE} lines; the starter's counts are asserted.
 * <p>
 * {@code mvn -B verify -pl autoconfigure -Dit.test=WebClientFiguresIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}
 */
class WebClientFiguresIT {

	private static final Duration WAIT = Duration.ofSeconds(60);

	@Test
	void sixtyFourConcurrentSubscribersOnAColdCache() {
		int[] counts = sideBySide(Shape.EXPIRES_IN, (scenario) -> {
			CountDownLatch tokenResponses = scenario.idp.holdTokenResponses();
			List<Mono<?>> calls = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				calls.add(scenario.call(null));
			}
			Mono<Void> all = Mono.when(calls).cache();
			Disposable running = all.subscribe();
			await().atMost(WAIT).until(() -> scenario.idp.tokenRequests() >= 1);
			tokenResponses.countDown();
			all.block(WAIT);
			running.dispose();
		});
		figure("64 concurrent subscribers, cold cache", counts);
		assertThat(counts[0]).isOne();
	}

	@Test
	void halfOfSixtyFourSubscribersCancelWhileTheTokenRequestIsInFlight() {
		// Failed calls per side, dexpace first. Stock Spring Security's side makes 64 token
		// requests and then 32 API calls at once, and the JDK HttpServer API on loopback may
		// close a pooled connection under it: such a call fails, which is counted, not awaited.
		List<Integer> failedCalls = new ArrayList<>();
		int[] counts = sideBySide(Shape.EXPIRES_IN, (scenario) -> {
			CountDownLatch tokenResponses = scenario.idp.holdTokenResponses();
			java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
			java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
			List<Disposable> subscriptions = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				subscriptions.add(scenario.call(null)
					.subscribe((response) -> ok.incrementAndGet(), (ex) -> failed.incrementAndGet()));
			}
			await().atMost(WAIT).until(() -> scenario.idp.tokenRequests() >= 1);
			subscriptions.subList(0, 32).forEach(Disposable::dispose);
			tokenResponses.countDown();
			await().atMost(WAIT).until(() -> ok.get() + failed.get() == 32);
			failedCalls.add(failed.get());
			// The next call.
			scenario.call(null).block(WAIT);
		});
		figure("64 subscribers, 32 cancel during the token request, then 1 more call", counts);
		assertThat(counts[0]).isOne();
		assertThat(failedCalls.get(0)).as("failed calls of the subscribers that stayed").isZero();
	}

	@Test
	void oneThousandPrincipals() {
		int[] counts = sideBySide(Shape.EXPIRES_IN, (scenario) -> Flux.range(0, 1000)
			.concatMap((i) -> scenario.call("user-" + i))
			.blockLast(WAIT));
		figure("1,000 principals, client_credentials", counts);
		assertThat(counts[0]).isOne();
	}

	@Test
	void oneHundredCallsWithoutExpiresIn() {
		int[] counts = sideBySide(Shape.OPAQUE_WITHOUT_EXPIRES_IN,
				(scenario) -> Flux.range(0, 100).concatMap((i) -> scenario.call(null)).blockLast(WAIT));
		figure("100 calls, token response without expires_in", counts);
		assertThat(counts[0]).isOne();
	}

	@Test
	void aRevokedToken() {
		List<String> failed = new ArrayList<>();
		int[] counts = sideBySide(Shape.EXPIRES_IN, (scenario) -> {
			scenario.call(null).block(WAIT);
			scenario.idp.revoke(scenario.idp.issuedTokens().iterator().next());
			// Stock Spring Security hands the 401 to the caller: count the failed calls too.
			java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
			Flux.range(0, 10).concatMap((i) -> scenario.call(null).onErrorResume((ex) -> {
				failures.incrementAndGet();
				return Mono.empty();
			})).blockLast(WAIT);
			failed.add(failures.get() + " failed calls, " + scenario.idp.revokedTokensReceived().size()
					+ " sends of the revoked token");
		});
		figure("1 call, token revoked, 10 calls", counts);
		System.out.printf("FIGURE reactive, 1 call, token revoked, 10 calls: dexpace %s; stock Spring Security %s%n",
				failed.get(0), failed.get(1));
		assertThat(failed.get(0)).startsWith("0 failed calls, 1 sends");
		assertThat(counts[0]).as("one extra token request").isEqualTo(2);
	}

	private static void figure(String scenario, int[] counts) {
		System.out.printf("FIGURE reactive, %s: token requests dexpace %d, stock Spring Security %d%n", scenario,
				counts[0], counts[1]);
	}

	/**
	 * Run the scenario against this starter, then against stock Spring Security, each on
	 * a fresh identity provider; return their token request counts.
	 */
	private static int[] sideBySide(Shape shape, java.util.function.Consumer<Scenario> scenario) {
		int[] counts = new int[2];
		try (TestIdentityProvider idp = new TestIdentityProvider().shape(shape)) {
			ReactiveTokenCacheContexts.reactiveRunner(idp).run((context) -> {
				scenario.accept(new Scenario(idp, ReactiveTokenCacheContexts.webClient(context)));
				counts[0] = idp.tokenRequests();
			});
		}
		try (TestIdentityProvider idp = new TestIdentityProvider().shape(shape).unwatched()) {
			ReactiveTokenCacheContexts.reactiveRunner(idp)
				.withPropertyValues("dexpace.token-cache.enabled=false")
				.run((context) -> {
					scenario.accept(new Scenario(idp, stock(context)));
					counts[1] = idp.tokenRequests();
				});
		}
		return counts;
	}

	private static WebClient stock(ApplicationContext context) {
		ReactiveClientRegistrationRepository registrations = context.getBean(ReactiveClientRegistrationRepository.class);
		AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager manager = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
				registrations, new InMemoryReactiveOAuth2AuthorizedClientService(registrations));
		return WebClient.builder().filter(new ServerOAuth2AuthorizedClientExchangeFilterFunction(manager)).build();
	}

	static final class Scenario {

		final TestIdentityProvider idp;

		final WebClient client;


		Scenario(TestIdentityProvider idp, WebClient client) {
			this.idp = idp;
			this.client = client;
		}

		Mono<?> call(String user) {
			Mono<?> call = ReactiveTokenCacheContexts.callApi(this.client, this.idp);
			Function<String, TestingAuthenticationToken> principal = (name) -> new TestingAuthenticationToken(name,
					"n/a", "ROLE_USER");
			return (user != null)
					? call.contextWrite(ReactiveSecurityContextHolder.withAuthentication(principal.apply(user)))
					: call;
		}

	}

}
