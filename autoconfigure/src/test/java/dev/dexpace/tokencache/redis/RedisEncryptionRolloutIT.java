package dev.dexpace.tokencache.redis;

import java.util.Base64;
import java.util.Random;

import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling deploy that changes the encryption of the Redis token cache: two instances on
 * one Redis, one on the old settings and one on the new, take turns calling the API. The
 * fleet keeps sharing its token instead of fetching one per call, and no instance deletes
 * the values of the other.
 */
class RedisEncryptionRolloutIT extends RedisProcessTests {

	private static final int CALLS = 20;

	private static final String KEY_1 = key(1);

	private static final String KEY_2 = key(2);

	@Test
	void rotatingTheKeyWhileTheNewInstanceStillReadsTheOldOneKeepsTheTokenShared() {
		assertAlternatingCallsShareTheToken(new String[] { encryptionKey(KEY_1) },
				new String[] { encryptionKey(KEY_2), previousKeys(KEY_1) });
	}

	@Test
	void turningEncryptionOnAfterTheFleetLearnedTheKeyKeepsTheTokenShared() {
		assertAlternatingCallsShareTheToken(new String[] { previousKeys(KEY_1) },
				new String[] { encryptionKey(KEY_1) });
	}

	@Test
	void turningEncryptionOffWhileTheNewInstanceStillReadsTheKeyKeepsTheTokenShared() {
		assertAlternatingCallsShareTheToken(new String[] { encryptionKey(KEY_1) },
				new String[] { previousKeys(KEY_1) });
	}

	@Test
	void instancesThatCannotReadEachOthersValuesLeaveThemToTheirTtl() {
		// A rotation without previous-encryption-keys: each instance fetches, but neither
		// counts the other's values as corrupt nor deletes them.
		ApplicationContextRunner runner = RedisContexts.runner(this.idp, redis.port());
		runner.withPropertyValues(encryptionKey(KEY_1))
			.run((a) -> runner.withPropertyValues(encryptionKey(KEY_2)).run((b) -> {
				RedisContexts.callApi(TokenCacheContexts.restClient(a), this.idp);
				RedisContexts.callApi(TokenCacheContexts.restClient(b), this.idp);
				assertThat(this.idp.tokenRequests()).isEqualTo(2);
				assertThat(a.getBean(RedisTokenCache.class).corruptValues()).isZero();
				assertThat(b.getBean(RedisTokenCache.class).corruptValues()).isZero();
				assertThat(b.getBean(RedisTokenCache.class).unreadableValues()).isPositive();
				assertThat(this.raw.keys()).hasSize(1);
			}));
	}

	private void assertAlternatingCallsShareTheToken(String[] oldSettings, String[] newSettings) {
		ApplicationContextRunner runner = RedisContexts.runner(this.idp, redis.port());
		runner.withPropertyValues(oldSettings).run((a) -> runner.withPropertyValues(newSettings).run((b) -> {
			RestClient clientA = TokenCacheContexts.restClient(a);
			RestClient clientB = TokenCacheContexts.restClient(b);
			for (int call = 0; call < CALLS; call++) {
				RedisContexts.callApi((call % 2 == 0) ? clientA : clientB, this.idp);
			}
			assertThat(this.idp.tokenRequests()).as("token requests for %d alternating calls", CALLS)
				.isLessThanOrEqualTo(2);
			assertNothingDeleted(a, b);
		}));
	}

	private static void assertNothingDeleted(ApplicationContext... contexts) {
		for (ApplicationContext context : contexts) {
			assertThat(context.getBean(RedisTokenCache.class).corruptValues()).isZero();
		}
	}

	private static String encryptionKey(String key) {
		return "dexpace.token-cache.redis.encryption-key=" + key;
	}

	private static String previousKeys(String... keys) {
		return "dexpace.token-cache.redis.previous-encryption-keys=" + String.join(",", keys);
	}

	private static String key(int seed) {
		byte[] key = new byte[32];
		new Random(seed).nextBytes(key);
		return Base64.getEncoder().encodeToString(key);
	}

}
