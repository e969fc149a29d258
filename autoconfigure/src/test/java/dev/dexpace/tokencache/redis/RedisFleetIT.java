package dev.dexpace.tokencache.redis;

import java.time.Duration;
import java.util.List;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.TestIdentityProvider.Shape;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Application instances sharing one Redis: a token fetched by one is used by the others,
 * a 401 seen by one retires the token for all, and the TTL in Redis never outlives the
 * token's real life minus the buffer. The same for a fleet of {@code RestClient}
 * applications and a fleet of WebFlux applications with {@code WebClient}
 * ({@link ReactiveRedisFleetIT} mixes the two in one fleet).
 */
class RedisFleetIT extends RedisProcessTests {

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aSecondInstanceUsesTheTokenTheFirstFetchedAndA401RetiresItForBoth(Facade facade) {
		Facade.Runner runner = RedisContexts.runner(facade, this.idp, redis.port());
		runner.run((a) -> runner.run((b) -> {
			facade.callApi(a, this.idp);
			assertThat(this.idp.tokenRequests()).isOne();
			facade.callApi(b, this.idp);
			assertThat(this.idp.tokenRequests()).as("token requests after B's first call").isOne();

			String first = this.idp.issuedTokens().iterator().next();
			this.idp.revoke(first);
			// B is rejected, deletes the token in Redis, fetches a new one and retries.
			facade.callApi(b, this.idp);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			// A never sends the revoked token again: it finds B's new token in Redis.
			facade.callApi(a, this.idp);
			facade.callApi(a, this.idp);
			assertThat(this.idp.tokenRequests()).as("token requests in total").isEqualTo(2);
			assertThat(this.idp.revokedTokensReceived()).containsExactly(first);
			assertThat(this.raw.keys()).hasSize(1);
		}));
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void theTtlOfATokenWithExpiresInIsItsLifetimeMinusTheBuffer(Facade facade) {
		assertTtl(facade, Shape.EXPIRES_IN, Duration.ofMinutes(10), Duration.ofMinutes(10));
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void theTtlOfAJwtWithoutExpiresInFollowsItsExpClaim(Facade facade) {
		assertTtl(facade, Shape.JWT_WITHOUT_EXPIRES_IN, Duration.ofMinutes(4), Duration.ofMinutes(4));
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void theTtlOfATokenWithoutLifetimeFollowsTheFallbackTtl(Facade facade) {
		assertTtl(facade, Shape.OPAQUE_WITHOUT_EXPIRES_IN, Duration.ofMinutes(10), Duration.ofMinutes(3));
	}

	private void assertTtl(Facade facade, Shape shape, Duration issuedLifetime, Duration expectedLifetime) {
		this.idp.shape(shape).lifetime(issuedLifetime);
		Duration buffer = Duration.ofSeconds(45);
		RedisContexts.runner(facade, this.idp, redis.port())
			.withPropertyValues("dexpace.token-cache.expiry-buffer=45s", "dexpace.token-cache.fallback-ttl=3m")
			.run((context) -> {
				facade.callApi(context, this.idp);
				// The keys of the blocking cache, which a reactive application has too, are
				// the keys of the reactive one.
				RedisTokenCache cache = context.getBean(RedisTokenCache.class);
				String redisKey = cache.redisKey(TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp),
						List.of("api.read", "api.write"), null));
				long pttl = this.raw.pttl(redisKey);
				long bound = expectedLifetime.minus(buffer).toMillis();
				assertThat(pttl).as("PTTL of %s", shape)
					.isLessThanOrEqualTo(bound)
					// far above the other shapes' bounds: the TTL came from this token's lifetime
					.isGreaterThan(bound - Duration.ofSeconds(30).toMillis());
			});
	}

}
