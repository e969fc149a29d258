package dev.dexpace.tokencache.hardening;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.context.ApplicationContext;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A real token endpoint that fails: every caller gets a clear
 * {@link OAuth2AuthorizationException} (within {@code token-request-timeout} when the
 * endpoint hangs), callers waiting on the single-flight request get the same error and are
 * never left parked, and the first call after the endpoint recovers succeeds. A single
 * caller gets the same error code, description and {@code Retry-After} through
 * {@code RestClient} and {@code WebClient}; the waiting callers are threads parked on the
 * blocking single flight.
 */
class TokenEndpointFaultsIT {

	private static final int CALLERS = 8;

	private static final String TOKEN_REQUEST_TIMEOUT = "dexpace.token-cache.token-request-timeout=1s";

	private final TestIdentityProvider idp = new TestIdentityProvider();

	// The backoff after a failed token request ends when the test says so.
	private final MovableClock backoffClock = new MovableClock(Instant.now());

	@AfterEach
	void stop() {
		this.idp.close();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void a500FailsTheCallClearlyAndTheNextCallSucceeds(Facade facade) {
		this.idp.failTokenRequests(1);
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = callFails(facade, context);
			assertThat(failure.getError().getErrorCode()).isEqualTo("server_error");
			assertThat(failure.getMessage()).contains("The token endpoint answered 500").doesNotContain("{");
			// Until the backoff after the failure ends, a call fails at once.
			assertThat(callFails(facade, context)).isNotNull();
			assertThat(this.idp.tokenRequests()).as("token requests during the backoff").isOne();
			this.backoffClock.advance(Duration.ofMinutes(1));
			facade.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.apiCalls()).isOne();
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void a503WithRetryAfterSaysSoAndTheNextCallSucceeds(Facade facade) {
		this.idp.failTokenRequests(1, 503, Map.of("Retry-After", "30"));
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = callFails(facade, context);
			assertThat(failure.getError().getErrorCode()).isEqualTo("temporarily_unavailable");
			assertThat(failure.getMessage()).contains("answered 503 (Retry-After: 30)");
			assertThat(causes(failure)).filteredOn(TokenEndpointBusyException.class::isInstance)
				.singleElement()
				.satisfies((busy) -> assertThat(((TokenEndpointBusyException) busy).getRetryAfter())
					.isEqualTo(Duration.ofSeconds(30)));
			// Until the backoff after the failure ends, a call fails at once.
			assertThat(callFails(facade, context)).isNotNull();
			assertThat(this.idp.tokenRequests()).as("token requests during the backoff").isOne();
			this.backoffClock.advance(Duration.ofMinutes(1));
			facade.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aRejectedClientIsInvalidClient(Facade facade) {
		this.idp.failTokenRequests(1, 401, Map.of("WWW-Authenticate", "Basic realm=\"idp\""), "");
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = callFails(facade, context);
			assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_client");
			assertThat(failure.getMessage()).contains("answered 401");
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void anOAuth2ErrorIsPassedOnAsTheIdentityProviderSaidIt(Facade facade) {
		this.idp.failTokenRequests(1, 400, Map.of(),
				"{\"error\":\"invalid_scope\",\"error_description\":\"scope api.write is not allowed\"}");
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = callFails(facade, context);
			assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_scope");
			assertThat(failure.getError().getDescription()).isEqualTo("scope api.write is not allowed");
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void a400ThatIsNotAnOAuth2ErrorSaysSoWithoutQuotingTheBody(Facade facade) {
		this.idp.failTokenRequests(1, 400, Map.of("Content-Type", "text/html"), "<html>echo: app-secret</html>");
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = callFails(facade, context);
			assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_request");
			assertThat(failure.getMessage()).contains("answered 400").doesNotContain("app-secret").doesNotContain("html");
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aDroppedConnectionFailsTheCallClearlyAndTheNextCallSucceeds(Facade facade) {
		this.idp.dropTokenRequests(1);
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = callFails(facade, context);
			assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_token_response");
			assertThat(failure.getMessage()).contains("I/O error on the token request");
			// Until the backoff after the failure ends, a call fails at once.
			assertThat(callFails(facade, context)).isNotNull();
			assertThat(this.idp.tokenRequests()).as("token requests during the backoff").isOne();
			this.backoffClock.advance(Duration.ofMinutes(1));
			facade.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	@Test
	void aHangingIdentityProviderTimesOutEveryWaitingCallerAndTheNextCallSucceeds() {
		runner(Facade.REST_CLIENT).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			// Held for up to 30 s by the identity provider; the client gives up after 1 s.
			CountDownLatch hold = this.idp.holdTokenResponses();
			Map<Thread, Throwable> failures = callConcurrently(client, () -> {
			});
			hold.countDown();
			assertThat(failures).hasSize(CALLERS);
			assertThat(failures.values()).allSatisfy((failure) -> {
				assertThat(failure).isInstanceOf(OAuth2AuthorizationException.class);
				assertThat(failure.getMessage()).contains("timed out");
			});
			assertThat(this.idp.tokenRequests()).isOne();
			// Until the backoff after the failure ends, a call fails at once.
			assertThat(callFails(Facade.REST_CLIENT, context)).isNotNull();
			assertThat(this.idp.tokenRequests()).as("token requests during the backoff").isOne();
			this.backoffClock.advance(Duration.ofMinutes(1));
			TokenCacheContexts.callApi(client, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	@Test
	void aConnectionDroppedUnderWaitingCallersFailsThemAllAndTheNextCallSucceeds() {
		runner(Facade.REST_CLIENT).run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			CountDownLatch hold = this.idp.holdTokenResponses();
			Map<Thread, Throwable> failures = callConcurrently(client, () -> {
				this.idp.dropTokenRequests(1);
				hold.countDown();
			});
			assertThat(failures).hasSize(CALLERS);
			assertThat(failures.values()).allSatisfy(
					(failure) -> assertThat(failure).isInstanceOf(OAuth2AuthorizationException.class));
			assertThat(this.idp.tokenRequests()).isOne();
			// Until the backoff after the failure ends, a call fails at once.
			assertThat(callFails(Facade.REST_CLIENT, context)).isNotNull();
			assertThat(this.idp.tokenRequests()).as("token requests during the backoff").isOne();
			this.backoffClock.advance(Duration.ofMinutes(1));
			TokenCacheContexts.callApi(client, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	@Test
	void aSlowIdentityProviderServesEveryWaitingCallerWithOneRequest() {
		runner(Facade.REST_CLIENT).withPropertyValues("dexpace.token-cache.token-request-timeout=30s").run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			CountDownLatch hold = this.idp.holdTokenResponses();
			Map<Thread, Throwable> failures = callConcurrently(client, hold::countDown);
			assertThat(failures).isEmpty();
			assertThat(this.idp.tokenRequests()).isOne();
			assertThat(this.idp.apiCalls()).isEqualTo(CALLERS);
		});
	}

	private static List<Throwable> causes(Throwable failure) {
		List<Throwable> causes = new ArrayList<>();
		for (Throwable cause = failure; cause != null && !causes.contains(cause); cause = cause.getCause()) {
			causes.add(cause);
		}
		return causes;
	}

	private Facade.Runner runner(Facade facade) {
		return facade.runner(this.idp)
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.backoffClock))
			.withPropertyValues(TOKEN_REQUEST_TIMEOUT);
	}

	private OAuth2AuthorizationException callFails(Facade facade, ApplicationContext context) {
		OAuth2AuthorizationException failure = catchThrowableOfType(OAuth2AuthorizationException.class,
				() -> facade.callApi(context, this.idp));
		assertThat(failure).as("the call's failure").isNotNull();
		BadTokenResponseIT.assertNoSecretIn(failure);
		return failure;
	}

	/**
	 * Start {@link #CALLERS} calls on a cold cache, wait until one holds the token request
	 * and the others are parked on it, run {@code whileParked}, and wait for every call to
	 * end.
	 * @return the failures by thread
	 */
	private Map<Thread, Throwable> callConcurrently(RestClient client, Runnable whileParked)
			throws InterruptedException {
		List<Thread> threads = new ArrayList<>();
		Map<Thread, Throwable> failures = new ConcurrentHashMap<>();
		for (int i = 0; i < CALLERS; i++) {
			Thread thread = new Thread(() -> {
				try {
					TokenCacheContexts.callApi(client, this.idp);
				}
				catch (Throwable ex) {
					failures.put(Thread.currentThread(), ex);
				}
			});
			threads.add(thread);
			thread.start();
		}
		await().atMost(Duration.ofSeconds(20))
			.until(() -> this.idp.tokenRequests() == 1 && parkedOnTheTokenRequest(threads) == CALLERS - 1);
		whileParked.run();
		for (Thread thread : threads) {
			thread.join(Duration.ofSeconds(30).toMillis());
			assertThat(thread.isAlive()).as("caller still waiting").isFalse();
		}
		failures.values().forEach(BadTokenResponseIT::assertNoSecretIn);
		return failures;
	}

	private static long parkedOnTheTokenRequest(List<Thread> threads) {
		return threads.stream()
			.filter((thread) -> Arrays.stream(thread.getStackTrace())
				.anyMatch((frame) -> frame.getClassName().equals("dev.dexpace.tokencache.oauth2.SingleFlight")
						&& frame.getMethodName().equals("await")))
			.count();
	}

}
