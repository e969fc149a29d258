package dev.dexpace.tokencache.expiry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link TokenLifetimeResolver} and {@link ExpiryResolvingTokenResponseConverter}.
 */
class TokenLifetimeResolverTests {

	private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

	private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

	private final TokenLifetimeResolver resolver = new TokenLifetimeResolver(Duration.ofMinutes(5), this.clock);

	@Test
	void theEarliestStatedExpiryWins() {
		Map<String, Object> response = response(TestIdentityProvider.unsignedJwt(NOW.plusSeconds(3600)));
		response.put("expires_at", NOW.plusSeconds(900).getEpochSecond());
		response.put("expires_in", 60);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(60));
		response.put("expires_in", 1200);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(900));
	}

	@Test
	void aLaterExpiresAtNeverKeepsATokenAlivePastItsExpiresIn() {
		Map<String, Object> response = response("opaque");
		response.put("expires_in", 300);
		response.put("expires_at", NOW.plusSeconds(3600).getEpochSecond());
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(300));
		response.put("expires_at", String.valueOf(NOW.plusSeconds(3600).getEpochSecond()));
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(300));
	}

	@Test
	void anExpiresAtInMillisecondsIsReadAsMilliseconds() {
		Map<String, Object> response = response("opaque");
		response.put("expires_at", NOW.plusSeconds(600).toEpochMilli());
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(600));
		response.put("expires_at", String.valueOf(NOW.plusSeconds(600).toEpochMilli()));
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(600));
		response.put("expires_in", 120);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(120));
	}

	@Test
	void anExpiresAtThatIsFarFutureEvenInMillisecondsIsIgnored() {
		Map<String, Object> response = response("opaque");
		response.put("expires_at", NOW.plus(Duration.ofDays(4000)).toEpochMilli());
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
		response.put("expires_in", 120);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(120));
		response.put("expires_at", NOW.plus(Duration.ofDays(4000)).toEpochMilli() * 1000);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(120));
	}

	@Test
	void expiresInWinsOverTheJwtClaim() {
		Map<String, Object> response = response(TestIdentityProvider.unsignedJwt(NOW.plusSeconds(3600)));
		response.put("expires_in", "120");
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(120));
	}

	@Test
	void jwtExpOfTheAccessTokenComesNext() {
		Map<String, Object> response = response(TestIdentityProvider.unsignedJwt(NOW.plusSeconds(600)));
		response.put("id_token", TestIdentityProvider.unsignedJwt(NOW.plusSeconds(60)));
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(600));
	}

	@Test
	void jwtExpOfTheIdTokenComesNext() {
		Map<String, Object> response = response("opaque");
		response.put("id_token", TestIdentityProvider.unsignedJwt(NOW.plusSeconds(60)));
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(60));
	}

	@Test
	void fallbackTtlApplies() {
		assertThat(this.resolver.resolve(response("opaque"))).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
	}

	@Test
	void malformedValuesFallThrough() {
		Map<String, Object> response = response("not.a.jwt");
		response.put("expires_at", "tomorrow");
		response.put("expires_in", "soon");
		response.put("id_token", "eyJhbGciOiJub25lIn0.%%%.");
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
	}

	@Test
	void aZeroOrNegativeExpiresInIsAnExpiredTokenNotAnUnknownLifetime() {
		Map<String, Object> response = response("opaque");
		response.put("expires_in", -5);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.minusSeconds(5));
		response.put("expires_in", 0);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW);
		response.put("expires_in", "0.5");
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW);
	}

	@Test
	void anExpClaimEarlierThanExpiresInWins() {
		Map<String, Object> response = response(TestIdentityProvider.unsignedJwt(NOW.plusSeconds(60)));
		response.put("expires_in", 3600);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plusSeconds(60));
	}

	@Test
	void aHugeLifetimeIsCapped() {
		Map<String, Object> response = response("opaque");
		response.put("expires_in", new java.math.BigInteger("99999999999999999999999999"));
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME));
		response.put("expires_in", Double.POSITIVE_INFINITY);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME));
		response.remove("expires_in");
		response.put("expires_at", NOW.plus(Duration.ofDays(5000)).getEpochSecond());
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME));
		// Past the milliseconds threshold: not a far future, but no expiry at all
		response.put("expires_at", Long.MAX_VALUE);
		assertThat(this.resolver.resolve(response)).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
	}

	@Test
	void springSecuritysOneSecondPlaceholderIsReadAsUnknown() {
		OAuth2AccessToken placeholder = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER,
				TestIdentityProvider.unsignedJwt(NOW.plusSeconds(700)), NOW, NOW.plusSeconds(1));
		assertThat(this.resolver.resolve(placeholder)).isEqualTo(NOW.plusSeconds(700));
		OAuth2AccessToken opaque = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "opaque", NOW,
				NOW.plusSeconds(1));
		assertThat(this.resolver.resolve(opaque)).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
		OAuth2AccessToken known = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "opaque", NOW,
				NOW.plusSeconds(300));
		assertThat(this.resolver.resolve(known)).isEqualTo(NOW.plusSeconds(300));
	}

	@Test
	void converterGivesSpringSecurityTheResolvedExpiry() {
		ExpiryResolvingTokenResponseConverter converter = new ExpiryResolvingTokenResponseConverter(this.resolver,
				Clock.systemUTC());
		Instant exp = Instant.now().plusSeconds(600);
		Map<String, Object> response = response(TestIdentityProvider.unsignedJwt(exp));
		OAuth2AccessTokenResponse converted = converter.convert(response);
		TokenLifetimeResolver systemResolver = new TokenLifetimeResolver(Duration.ofMinutes(5), Clock.systemUTC());
		assertThat(converted.getAccessToken().getExpiresAt()).isBetween(exp.minusSeconds(2), exp.plusSeconds(2));
		// Resolved again, the JWT's exp (whole seconds) wins when Spring's expiresAt (its own
		// clock plus whole seconds of expires_in) falls a fraction of a second later.
		Instant expiresAt = converted.getAccessToken().getExpiresAt();
		assertThat(systemResolver.resolve(converted.getAccessToken())).isBetween(expiresAt.minusSeconds(1), expiresAt);
	}

	private static Map<String, Object> response(String accessToken) {
		Map<String, Object> response = new HashMap<>();
		response.put("access_token", accessToken);
		response.put("token_type", "Bearer");
		return response;
	}

}
