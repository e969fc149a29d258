package dev.dexpace.tokencache.redis;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientResponseException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two different applications on one Redis with the default key prefix, each with its own
 * client at its own identity provider, both naming their registration {@code api}: they
 * never see, send or delete each other's tokens.
 */
class RedisSharedByTwoApplicationsIT extends RedisProcessTests {

	private static final int ROUNDS = 10;

	private final TestIdentityProvider otherIdp = new TestIdentityProvider();

	@AfterEach
	void closeOtherIdp() {
		this.otherIdp.close();
	}

	@Test
	void applicationsThatReuseARegistrationIdForAnotherClientNeverShareTokens() {
		ApplicationContextRunner first = RedisContexts.runner(this.idp, redis.port());
		// Another client (other-app) at another identity provider, whose API accepts only
		// the tokens that identity provider issued.
		ApplicationContextRunner second = RedisContexts.runner(this.otherIdp, redis.port())
			.withPropertyValues("spring.security.oauth2.client.registration.api.client-id=other-app",
					"spring.security.oauth2.client.registration.api.client-secret=other-secret");
		first.run((a) -> second.run((b) -> {
			RestClient clientA = TokenCacheContexts.restClient(a);
			RestClient clientB = TokenCacheContexts.restClient(b);
			int failed = 0;
			for (int round = 0; round < ROUNDS; round++) {
				failed += call(clientA, this.idp) + call(clientB, this.otherIdp);
			}
			assertThat(failed).as("failed calls").isZero();
			assertThat(this.idp.tokenRequests()).as("token requests of the first application").isOne();
			assertThat(this.otherIdp.tokenRequests()).as("token requests of the second application").isOne();
			// Each API answers 401 to a token of the other identity provider, and a 401 makes
			// the call go out again: one API call per call means no foreign token was sent.
			assertThat(this.idp.apiCalls()).as("calls the first API received").isEqualTo(ROUNDS);
			assertThat(this.otherIdp.apiCalls()).as("calls the second API received").isEqualTo(ROUNDS);
			assertThat(this.raw.keys()).as("one token of each application in Redis").hasSize(2);
		}));
	}

	private static int call(RestClient client, TestIdentityProvider idp) {
		try {
			RedisContexts.callApi(client, idp);
			return 0;
		}
		catch (RestClientResponseException ex) {
			return 1;
		}
	}

}
