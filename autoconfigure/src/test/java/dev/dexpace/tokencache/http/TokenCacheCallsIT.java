package dev.dexpace.tokencache.http;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TestIdentityProvider.Shape;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
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
@ExtendWith(OutputCaptureExtension.class)
class TokenCacheCallsIT {

	private static final List<String> TRACED = List.of("dev.dexpace", "org.springframework.security",
			"org.springframework.web.client", "org.springframework.web.reactive.function.client",
			"org.springframework.http");

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final LoggingSystem loggingSystem = LoggingSystem.get(getClass().getClassLoader());

	@BeforeEach
	void traceEverythingOnTheTokenPath() {
		TRACED.forEach((logger) -> this.loggingSystem.setLogLevel(logger, LogLevel.TRACE));
	}

	@AfterEach
	void tokenValuesNeverReachTheLog(CapturedOutput output) {
		TRACED.forEach((logger) -> this.loggingSystem.setLogLevel(logger, null));
		this.idp.close();
		if (!this.idp.issuedTokens().isEmpty()) {
			assertThat(output.getAll()).as("TRACE output of the token path").contains("Fetched token for");
		}
		for (String token : this.idp.issuedTokens()) {
			assertThat(output.getAll()).doesNotContain(token);
		}
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
