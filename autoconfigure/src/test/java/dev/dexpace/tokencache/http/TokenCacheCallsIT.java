package dev.dexpace.tokencache.http;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider.Shape;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClientResponseException;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * End to end through the auto-configured {@code RestClient} of a non-reactive application
 * and the auto-configured {@code WebClient} of a reactive one alike: a real HTTP token
 * endpoint and API, Spring Boot's OAuth2 client auto-configuration, and ours. What only
 * one client does (threads or subscribers waiting on one token request, cancellation,
 * principals) is in {@link RestClientTokenCacheIT} and {@link WebClientTokenCacheIT}.
 */
class TokenCacheCallsIT extends TokenPathTraced {

	TokenCacheCallsIT() {
		super(true, "org.springframework.web.client", "org.springframework.web.reactive.function.client");
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aJwtWithoutExpiresInIsCachedUntilItsExpClaim(Facade facade) {
		this.idp.shape(Shape.JWT_WITHOUT_EXPIRES_IN).lifetime(Duration.ofMinutes(10));
		facade.runner(this.idp).run((context) -> {
			for (int i = 0; i < 100; i++) {
				facade.callApi(context, this.idp);
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			CachedToken cached = facade.cached(context, systemKey());
			assertThat(cached).isNotNull();
			assertThat(cached.expiresAt()).isBetween(Instant.now().plus(Duration.ofMinutes(9)),
					Instant.now().plus(Duration.ofMinutes(10)));
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void anOpaqueTokenWithoutExpiresInLivesTheFallbackTtl(Facade facade) {
		this.idp.shape(Shape.OPAQUE_WITHOUT_EXPIRES_IN);
		facade.runner(this.idp).withPropertyValues("dexpace.token-cache.fallback-ttl=7m").run((context) -> {
			Instant before = Instant.now();
			for (int i = 0; i < 100; i++) {
				facade.callApi(context, this.idp);
			}
			Instant after = Instant.now();
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			CachedToken cached = facade.cached(context, systemKey());
			assertThat(cached).isNotNull();
			assertThat(cached.expiresAt()).isBetween(before.plus(Duration.ofMinutes(7)).minusSeconds(1),
					after.plus(Duration.ofMinutes(7)).plusSeconds(1));
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aRevokedTokenIsDeletedAndTheCallRetriedOnceWithANewToken(Facade facade) {
		facade.runner(this.idp).run((context) -> {
			facade.callApi(context, this.idp);
			String first = cachedValue(facade, context);
			this.idp.revoke(first);
			// Answered 200: the call was retried with a new token.
			facade.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
			for (int i = 0; i < 20; i++) {
				facade.callApi(context, this.idp);
			}
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
			assertThat(cachedValue(facade, context)).isNotEqualTo(first);
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void withoutRetryA401ReachesTheCallerAndTheNextCallUsesANewToken(Facade facade) {
		facade.runner(this.idp).withPropertyValues("dexpace.token-cache.retry-on-unauthorized=false").run((context) -> {
			facade.callApi(context, this.idp);
			String first = cachedValue(facade, context);
			this.idp.revoke(first);
			assertThat(status(catchThrowable(() -> facade.callApi(context, this.idp)))).isEqualTo(401);
			assertThat(facade.cached(context, systemKey())).isNull();
			facade.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aForbiddenResponseDeletesNothing(Facade facade) {
		facade.runner(this.idp).run((context) -> {
			facade.callApi(context, this.idp);
			String first = cachedValue(facade, context);
			this.idp.apiStatus(403);
			assertThat(status(catchThrowable(() -> facade.callApi(context, this.idp)))).isEqualTo(403);
			this.idp.apiStatus(0);
			facade.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(1);
			assertThat(cachedValue(facade, context)).isEqualTo(first);
		});
	}

	private String cachedValue(Facade facade, ApplicationContext context) {
		CachedToken cached = facade.cached(context, systemKey());
		assertThat(cached).as("the cached token").isNotNull();
		return cached.tokenValue();
	}

	/**
	 * The status of the API's answer that failed a call, as either client reports it.
	 */
	private static int status(@Nullable Throwable failure) {
		if (failure instanceof RestClientResponseException response) {
			return response.getStatusCode().value();
		}
		if (failure instanceof WebClientResponseException response) {
			return response.getStatusCode().value();
		}
		throw new AssertionError("Not an answer of the API", failure);
	}

	private TokenKey systemKey() {
		return TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp), Set.of("api.read", "api.write"), null);
	}

}
