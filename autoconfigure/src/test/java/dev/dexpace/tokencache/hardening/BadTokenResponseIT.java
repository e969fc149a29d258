package dev.dexpace.tokencache.hardening;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.SecretLeakDetector;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Bad token responses from a real token endpoint, through the auto-configured RestClient:
 * a response with no usable token fails the call with a clear
 * {@link OAuth2AuthorizationException} that never quotes the token, and nothing is
 * cached; a usable token is never cached past the expiry the response states, nor for
 * longer than {@link TokenLifetimeResolver#MAX_LIFETIME}. Responses without a usable
 * token and the body limit are the same through the auto-configured WebClient.
 */
class BadTokenResponseIT {

	private static final String[] PROPERTIES = { "dexpace.token-cache.fallback-ttl=7m",
			"dexpace.token-cache.expiry-buffer=0s" };

	// The body limit of a token response, on both paths.
	private static final int MAX_BODY_BYTES = 1 << 20;

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final TokenKey key = TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
			Set.of("api.read", "api.write"), null);

	// The backoff after a failed token request ends when the test says so.
	private final MovableClock backoffClock = new MovableClock(Instant.now());


	@AfterEach
	void stop() {
		this.idp.close();
	}

	static Stream<Arguments> responsesWithoutAUsableToken() {
		return Stream.of(
				rejected("missing access_token", (token) -> "{\"token_type\":\"Bearer\",\"expires_in\":3600}",
						"has no access_token"),
				rejected("empty access_token", (token) -> "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
						"is empty"),
				rejected("access_token that is an object",
						(token) -> "{\"access_token\":{\"value\":\"" + token + "\"},\"token_type\":\"Bearer\"}",
						"is not a string"),
				rejected("access_token with a line break",
						(token) -> "{\"access_token\":\"" + token + "\\r\\nX-Evil: 1\",\"token_type\":\"Bearer\"}",
						"whitespace, control or non-ASCII characters"),
				rejected("access_token with non-ASCII characters",
						(token) -> "{\"access_token\":\"" + token + "\u00e9\",\"token_type\":\"Bearer\"}",
						"whitespace, control or non-ASCII characters"),
				rejected("missing token_type", (token) -> "{\"access_token\":\"" + token + "\"}", "no token_type"),
				rejected("expires_in negative", (token) -> body(token, "\"expires_in\":-30"), "already expired"),
				rejected("expires_in zero", (token) -> body(token, "\"expires_in\":0"), "already expired"),
				rejected("expires_in fractional below one second", (token) -> body(token, "\"expires_in\":0.5"),
						"already expired"),
				rejected("expires_in one second", (token) -> body(token, "\"expires_in\":1"), "less than 2 seconds"),
				rejected("expires_at in the past",
						(token) -> body(token, "\"expires_at\":" + Instant.now().minusSeconds(60).getEpochSecond()),
						"already expired"),
				rejected("malformed JSON, truncated", (token) -> body(token, "\"expires_in\":36").substring(0, 40),
						"not a valid JSON object"),
				rejected("malformed JSON, token unquoted",
						(token) -> "{\"access_token\":" + token + ",\"token_type\":\"Bearer\"}",
						"not a valid JSON object"),
				rejected("not JSON at all", (token) -> "access_token=" + token + "&token_type=Bearer",
						"not a valid JSON object"),
				rejected("JSON array", (token) -> "[\"" + token + "\"]", "not a valid JSON object"),
				rejected("JWT with an exp in the past", (token) -> body(
						TestIdentityProvider.unsignedJwt(Instant.now().minusSeconds(600)), ""), "already expired"),
				rejected("JWT with an exp in the past and a long expires_in", (token) -> body(
						TestIdentityProvider.unsignedJwt(Instant.now().minusSeconds(600)), "\"expires_in\":3600"),
						"already expired"));
	}

	private static Arguments rejected(String name, Function<String, String> body, String reason) {
		return arguments(Named.of(name, body), reason);
	}

	static Stream<Arguments> facadesAndResponsesWithoutAUsableToken() {
		return Stream.of(Facade.values())
			.flatMap((facade) -> responsesWithoutAUsableToken()
				.map((arguments) -> arguments(facade, arguments.get()[0], arguments.get()[1])));
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("facadesAndResponsesWithoutAUsableToken")
	void aResponseWithoutAUsableTokenFailsTheCallClearlyAndCachesNothing(Facade facade, Function<String, String> body,
			String reason) {
		this.idp.tokenBody(body);
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = catchThrowableOfType(OAuth2AuthorizationException.class,
					() -> facade.callApi(context, this.idp));
			assertThat(failure).as("failure of the call").isNotNull();
			assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_token_response");
			assertThat(failure.getMessage()).contains(reason);
			assertNoSecretIn(failure);
			assertThat(facade.cached(context, this.key)).isNull();
			assertThat(this.idp.apiCalls()).isZero();
			// The next call after the endpoint's backoff asks again: a bad response is not
			// remembered either.
			this.backoffClock.advance(Duration.ofMinutes(1));
			catchThrowableOfType(OAuth2AuthorizationException.class, () -> facade.callApi(context, this.idp));
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	@Test
	void aHugeExpiresInIsCappedAtTheMaximumLifetime() {
		this.idp.tokenBody((token) -> body(token, "\"expires_in\":99999999999999999999999"));
		assertCachedUntil((fetched) -> fetched.plus(TokenLifetimeResolver.MAX_LIFETIME));
	}

	@Test
	void aFractionalExpiresInIsRoundedDown() {
		this.idp.tokenBody((token) -> body(token, "\"expires_in\":599.9"));
		assertCachedUntil((fetched) -> fetched.plusSeconds(599));
	}

	@Test
	void anExpiresInStringIsRead() {
		this.idp.tokenBody((token) -> body(token, "\"expires_in\":\"600\""));
		assertCachedUntil((fetched) -> fetched.plusSeconds(600));
	}

	@Test
	void anExpiresInThatIsNotANumberMeansTheFallbackTtl() {
		this.idp.tokenBody((token) -> body(token, "\"expires_in\":\"soon\""));
		assertCachedUntil((fetched) -> fetched.plus(Duration.ofMinutes(7)));
	}

	@Test
	void aJwtWithABadBase64SegmentIsAnOpaqueTokenWithTheFallbackTtl() {
		this.idp.tokenValues(() -> "eyJhbGciOiJub25lIn0.e30%%%." + java.util.UUID.randomUUID())
			.tokenBody((token) -> body(token, ""));
		assertCachedUntil((fetched) -> fetched.plus(Duration.ofMinutes(7)));
	}

	@Test
	void aJwtWithoutExpHasTheFallbackTtl() {
		this.idp.tokenValues(() -> TestIdentityProvider.unsignedJwt("")).tokenBody((token) -> body(token, ""));
		assertCachedUntil((fetched) -> fetched.plus(Duration.ofMinutes(7)));
	}

	@Test
	void aJwtWithANonNumericExpHasTheFallbackTtl() {
		this.idp.tokenValues(() -> TestIdentityProvider.unsignedJwt("\"exp\":\"tomorrow\""))
			.tokenBody((token) -> body(token, ""));
		assertCachedUntil((fetched) -> fetched.plus(Duration.ofMinutes(7)));
	}

	@Test
	void aJwtExpEarlierThanExpiresInWins() {
		this.idp.tokenValues(() -> TestIdentityProvider.unsignedJwt(Instant.now().plusSeconds(120)))
			.tokenBody((token) -> body(token, "\"expires_in\":3600"));
		assertCachedUntil((fetched) -> fetched.plusSeconds(120));
	}

	@Test
	void aTokenOf100KilobytesIsCachedAndSent() {
		this.idp.tokenValues(() -> "big-" + "x".repeat(100 * 1024) + java.util.UUID.randomUUID())
			.tokenBody((token) -> body(token, "\"expires_in\":600"));
		assertCachedUntil((fetched) -> fetched.plusSeconds(600));
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aResponseOverOneMegabyteIsRejectedWithoutReadingItAll(Facade facade) {
		this.idp.tokenValues(() -> "huge-" + "x".repeat(2 << 20)).tokenBody((token) -> body(token, ""));
		runner(facade).run((context) -> {
			OAuth2AuthorizationException failure = catchThrowableOfType(OAuth2AuthorizationException.class,
					() -> facade.callApi(context, this.idp));
			assertThat(failure).isNotNull();
			assertThat(failure.getError().getErrorCode()).isEqualTo("invalid_token_response");
			assertThat(failure.getMessage()).contains("larger than 1048576 bytes");
			assertThat(facade.cached(context, this.key)).isNull();
		});
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aResponseJustUnderOneMegabyteIsRead(Facade facade) {
		// The same limit on both paths: a token response of 1 MiB less a few bytes is a
		// token (the issue found 256 KiB on one of them).
		String padding = "x".repeat(MAX_BODY_BYTES - 200);
		this.idp.tokenBody((token) -> "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\","
				+ "\"expires_in\":600,\"padding\":\"" + padding + "\"}");
		runner(facade).run((context) -> {
			facade.callApi(context, this.idp);
			assertThat(this.idp.apiCalls()).isOne();
			assertThat(facade.cached(context, this.key)).isNotNull();
		});
	}

	private Facade.Runner runner(Facade facade) {
		return facade.runner(this.idp)
			.withBean(TokenEndpointBackoff.class, () -> new TokenEndpointBackoff(this.backoffClock))
			.withPropertyValues(PROPERTIES);
	}

	/**
	 * Two calls: the first fetches and caches, the second is served from the cache; the
	 * cached expiry is the stated one, counted from the moment of the fetch (rounded down
	 * to whole seconds), never later.
	 */
	private void assertCachedUntil(Function<Instant, Instant> expiry) {
		runner(Facade.REST_CLIENT).run((context) -> {
			Instant before = Instant.now();
			Facade.REST_CLIENT.callApi(context, this.idp);
			Instant after = Instant.now();
			Facade.REST_CLIENT.callApi(context, this.idp);
			assertThat(this.idp.tokenRequests()).isOne();
			CachedToken cached = context.getBean(TokenCache.class).get(this.key);
			assertThat(cached).isNotNull();
			assertThat(this.idp.issuedTokens()).contains(cached.tokenValue());
			assertThat(cached.expiresAt()).isBetween(expiry.apply(before).minusSeconds(1), expiry.apply(after));
		});
	}

	private static String body(String token, String lifetime) {
		return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\"" + (lifetime.isEmpty() ? "" : "," + lifetime)
				+ "}";
	}

	static void assertNoSecretIn(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			assertThat(SecretLeakDetector.findSecretIn(String.valueOf(cause))).as("secret in " + cause).isNull();
		}
	}

}
