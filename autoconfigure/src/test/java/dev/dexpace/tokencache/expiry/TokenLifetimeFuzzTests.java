package dev.dexpace.tokencache.expiry;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.dexpace.tokencache.test.Bounded;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the JWT-lifetime parser and the lifetime resolution with random and mutated
 * input: nothing throws, nothing hangs, and the resolved expiry is never later than any
 * expiry the response states, nor further away than {@link TokenLifetimeResolver#MAX_LIFETIME}.
 */
class TokenLifetimeFuzzTests {

	private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

	private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

	private final TokenLifetimeResolver resolver = new TokenLifetimeResolver(Duration.ofMinutes(5),
			Clock.fixed(NOW, ZoneOffset.UTC));

	@Property(tries = 2000)
	void anyStringIsReadWithoutException(@ForAll @StringLength(max = 4096) String token) {
		Bounded.within(() -> JwtExpiry.of(token));
	}

	@Property(tries = 2000)
	void anyStringOfJwtCharactersIsReadWithoutException(@ForAll("jwtCharacters") String token) {
		Bounded.within(() -> JwtExpiry.of(token));
	}

	@Property(tries = 2000)
	void aJwtWithAnyExpClaimIsReadWithoutExceptionAndNeverOutlivesItsClaim(@ForAll("expClaims") String exp) {
		String jwt = jwt("{\"alg\":\"none\"}", "{\"sub\":\"s\",\"exp\":" + exp + "}");
		Instant resolved = Bounded.within(() -> this.resolver.resolve(response(jwt)));
		assertThat(resolved).isBeforeOrEqualTo(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME));
		BigDecimal stated = number(exp);
		if (stated != null && stated.compareTo(BigDecimal.valueOf(NOW.getEpochSecond())) > 0
				&& stated.compareTo(BigDecimal.valueOf(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME).getEpochSecond())) < 0) {
			assertThat(resolved).isBeforeOrEqualTo(Instant.ofEpochSecond(stated.longValue()));
		}
	}

	@Property(tries = 3000)
	void aMutatedJwtIsReadWithoutException(@ForAll @LongRange(min = -100_000, max = 100_000_000) long lifetime,
			@ForAll("edits") List<Edit> edits) {
		StringBuilder jwt = new StringBuilder(TestIdentityProvider.unsignedJwt(NOW.plusSeconds(lifetime)));
		for (Edit edit : edits) {
			edit.apply(jwt);
		}
		Bounded.within(() -> JwtExpiry.of(jwt.toString()));
		Instant resolved = Bounded.within(() -> this.resolver.resolve(response(jwt.toString())));
		assertThat(resolved).isBeforeOrEqualTo(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME));
	}

	@Property(tries = 3000)
	void anyExpiresInOrExpiresAtResolvesWithoutExceptionAndNeverOutlivesWhatItStates(
			@ForAll("values") Object expiresIn, @ForAll("values") Object expiresAt, @ForAll boolean jwt) {
		Map<String, Object> response = response(jwt ? TestIdentityProvider.unsignedJwt(NOW.plusSeconds(3600)) : "opaque");
		response.put("expires_in", expiresIn);
		response.put("expires_at", expiresAt);
		Instant resolved = Bounded.within(() -> this.resolver.resolve(response));
		assertThat(resolved).isBeforeOrEqualTo(NOW.plus(TokenLifetimeResolver.MAX_LIFETIME));
		if (jwt) {
			assertThat(resolved).isBeforeOrEqualTo(NOW.plusSeconds(3600));
		}
		BigDecimal at = number(expiresAt);
		BigDecimal in = number(expiresIn);
		// The earliest stated expiry wins: the result never outlives any of them.
		if (at != null && at.abs().compareTo(BigDecimal.valueOf(TokenLifetimeResolver.MILLISECONDS_FROM)) < 0) {
			assertThat(resolved).isBeforeOrEqualTo(Instant.ofEpochSecond(at.longValue()).plusSeconds(1));
		}
		if (at != null && at.compareTo(BigDecimal.valueOf(TokenLifetimeResolver.MILLISECONDS_FROM)) >= 0
				&& at.compareTo(BigDecimal.valueOf(1L << 50)) < 0) {
			assertThat(resolved).isBeforeOrEqualTo(Instant.ofEpochMilli(at.longValue()).plusSeconds(1));
		}
		if (in != null && in.abs().compareTo(BigDecimal.valueOf(1L << 40)) < 0) {
			assertThat(resolved).isBeforeOrEqualTo(NOW.plusSeconds(in.longValue()).plusSeconds(1));
		}
	}

	@Provide
	Arbitrary<String> jwtCharacters() {
		return Arbitraries.strings()
			.withChars("eyJhbGciOiJub25lIn0.-_=+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
			.ofMaxLength(2048);
	}

	@Provide
	Arbitrary<String> expClaims() {
		return Arbitraries.oneOf(Arbitraries.longs().map(String::valueOf),
				Arbitraries.longs().between(NOW.getEpochSecond() - 1000, NOW.getEpochSecond() + 1_000_000).map(String::valueOf),
				Arbitraries.doubles().map((d) -> BigDecimal.valueOf(d).toPlainString()),
				Arbitraries.bigIntegers().between(BigInteger.ZERO, BigInteger.TEN.pow(40)).map(BigInteger::toString),
				Arbitraries.of("1e300", "-1e300", "1.7976931348623157E308", "0", "-0", "0.5", "null", "true", "\"\"",
						"\"1900000000\"", "\"abc\"", "[1900000000]", "{\"a\":1}", "9223372036854775807",
						"9223372036854776", "-9223372036854775808", "31556889864403199", "31556889864403200"),
				Arbitraries.integers().between(1, 5000).map((depth) -> "[".repeat(depth) + "]".repeat(depth)),
				Arbitraries.strings().ofMaxLength(40).map((s) -> "\"" + s.replace("\\", "").replace("\"", "") + "\""));
	}

	@Provide
	Arbitrary<Object> values() {
		return Arbitraries.oneOf(Arbitraries.longs().map(Object.class::cast),
				Arbitraries.integers().map(Object.class::cast),
				Arbitraries.doubles().map(Object.class::cast),
				Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0d, 0.5d, 1.5d,
						Long.MAX_VALUE, Long.MIN_VALUE, 0L, -1L, "", " ", "NaN", "Infinity", "1e400", "-0", "0.4",
						"3600", " 3600 ", "3600.9", "abc", true, List.of(1), Map.of("a", 1), new Object()),
				Arbitraries.bigIntegers()
					.between(BigInteger.TEN.pow(40).negate(), BigInteger.TEN.pow(40))
					.map(Object.class::cast),
				Arbitraries.bigDecimals()
					.between(BigDecimal.TEN.pow(30).negate(), BigDecimal.TEN.pow(30))
					.ofScale(3)
					.map(Object.class::cast),
				Arbitraries.longs().between(-10_000, 100_000_000).map(String::valueOf).map(Object.class::cast),
				Arbitraries.strings().ofMaxLength(30).map(Object.class::cast))
			.injectNull(0.1);
	}

	@Provide
	Arbitrary<List<Edit>> edits() {
		Arbitrary<Edit> replace = Combinators
			.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE), Arbitraries.of('A', '.', '=', '-', '_', '%', '!', '~', ' ', 'é', '\u0000'))
			.as((position, c) -> (jwt) -> {
				if (jwt.length() > 0) {
					jwt.setCharAt(position % jwt.length(), c);
				}
			});
		Arbitrary<Edit> delete = Arbitraries.integers().between(0, Integer.MAX_VALUE).map((position) -> (jwt) -> {
			if (jwt.length() > 0) {
				jwt.deleteCharAt(position % jwt.length());
			}
		});
		Arbitrary<Edit> insert = Combinators
			.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE), Arbitraries.strings().ofMaxLength(8))
			.as((position, text) -> (jwt) -> jwt.insert(position % (jwt.length() + 1), text));
		return Arbitraries.oneOf(replace, delete, insert).list().ofMaxSize(6);
	}

	private static String jwt(String header, String payload) {
		return BASE64URL.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
				+ BASE64URL.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".";
	}

	private static Map<String, Object> response(String accessToken) {
		Map<String, Object> response = new HashMap<>();
		response.put("access_token", accessToken);
		response.put("token_type", "Bearer");
		return response;
	}

	/**
	 * The value as a number if it is one (or a string holding one), as a token endpoint
	 * states it.
	 */
	private static BigDecimal number(Object value) {
		try {
			if (value instanceof Double d) {
				if (d.isNaN()) {
					return null;
				}
				return d.isInfinite() ? BigDecimal.TEN.pow(40).multiply(BigDecimal.valueOf(Math.signum(d)))
						: BigDecimal.valueOf(d);
			}
			if (value instanceof String text && !text.chars().allMatch((c) -> c < 128)) {
				// BigDecimal reads other scripts' digits ("٠" is 0); a token response
				// states times in ASCII digits, and the resolver reads no others.
				return null;
			}
			if (value instanceof Number || value instanceof String) {
				return new BigDecimal(value.toString().trim());
			}
		}
		catch (NumberFormatException ex) {
			// not a number
		}
		return null;
	}

	@FunctionalInterface
	interface Edit {

		void apply(StringBuilder jwt);

	}

}
