package dev.dexpace.tokencache.endpoint;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Token requests counted at a real token endpoint that fails, for 100 calls through the
 * auto-configured RestClient and the auto-configured WebClient, as a new user would see
 * it: a token was fetched, it left the cache (its expiry buffer began) but has not really
 * expired, and the identity provider now answers every token request with {@code 503}
 * and {@code Retry-After: 2}. The calls are served the last token while the token is
 * retried in the background, never sooner than the identity provider asked. Printed as
 * {@code FIGURE} lines.
 * <p>
 * The calls are paced (one every 40 ms, about 4 s in all) because the figure is about
 * time: how often a failing identity provider is asked while an application keeps
 * calling. The assertion is an upper bound that a slower machine only widens: one request
 * by the first caller plus one per {@code Retry-After} that passed, plus one.
 * <p>
 * {@code mvn -B verify -pl autoconfigure -Dit.test=FailingTokenEndpointFiguresIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}
 */
class FailingTokenEndpointFiguresIT {

	private static final int CALLS = 100;

	private static final long PACE_MILLIS = 40;

	private static final long RETRY_AFTER_SECONDS = 2;

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final String[] PROPERTIES = { "dexpace.token-cache.expiry-buffer=57s",
			"dexpace.token-cache.refresh-ahead=0s" };

	@ParameterizedTest
	@EnumSource(Facade.class)
	void oneHundredCallsAgainstAFailingTokenEndpoint(Facade facade) {
		try (TestIdentityProvider idp = new TestIdentityProvider().lifetime(Duration.ofSeconds(60))) {
			facade.runner(idp)
				.withPropertyValues(PROPERTIES)
				.run((context) -> figure(facade.toString(), idp, context, () -> facade.callApi(context, idp)));
		}
	}

	private static void figure(String name, TestIdentityProvider idp, ApplicationContext context, Runnable call) {
		call.run();
		TokenCache cache = context.getBean(TokenCache.class);
		TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(idp), Set.of("api.read", "api.write"),
				null);
		// Cached for 60 s - 57 s = 3 s; really valid for 60 s.
		await().atMost(WAIT).until(() -> cache.get(key) == null);
		idp.failTokenRequests(Integer.MAX_VALUE, 503, Map.of("Retry-After", String.valueOf(RETRY_AFTER_SECONDS)),
				"{\"error\":\"temporarily_unavailable\"}");
		int before = idp.tokenRequests();
		long start = System.nanoTime();
		for (int i = 0; i < CALLS; i++) {
			call.run();
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(PACE_MILLIS));
		}
		long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		int requests = idp.tokenRequests() - before;
		System.out.printf("FIGURE failing token endpoint (503, Retry-After: %d), %d %s calls in %d ms: %d token requests%n",
				RETRY_AFTER_SECONDS, CALLS, name, elapsedMillis, requests);
		assertThat(idp.apiCalls()).isEqualTo(CALLS + 1);
		assertThat(requests).isLessThanOrEqualTo(2 + (int) (elapsedMillis / (RETRY_AFTER_SECONDS * 1000)));
	}

}
