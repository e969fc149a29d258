package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisKeyCommands;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * What removing a registration counts when {@code SCAN} returns a key more than once,
 * which Redis allows (every key present throughout a scan is returned at least once, some
 * more often while the table is resized): the count is what {@code UNLINK} removed, each
 * key once. The connection answers as Redis does: {@code UNLINK} counts distinct keys
 * that existed.
 */
class RedisTokenCacheRemoveTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	@Test
	void aKeyThatScanReturnsTwiceIsCountedOnce() {
		RedisKeys keys = new RedisKeys(RedisCacheSettings.DEFAULT_KEY_PREFIX);
		String first = keys.of(TokenKey.user("exchange", CLIENT, "subject-1", List.of("api.read"), null));
		String second = keys.of(TokenKey.user("exchange", CLIENT, "subject-2", List.of("api.read"), null));
		Set<String> stored = new HashSet<>(Set.of(first, second));
		RedisKeyCommands commands = mock(RedisKeyCommands.class);
		given(commands.scan(any(ScanOptions.class))).willAnswer((invocation) -> {
			String pattern = invocation.<ScanOptions>getArgument(0).getPattern();
			return pattern.contains(":user:") ? cursor(first, second, first) : cursor();
		});
		given(commands.unlink(any(byte[][].class))).willAnswer((invocation) -> {
			Set<String> named = Arrays.stream(invocation.getArguments())
				.flatMap((argument) -> (argument instanceof byte[][] many) ? Arrays.stream(many)
						: java.util.stream.Stream.of((byte[]) argument))
				.map((key) -> new String(key, StandardCharsets.UTF_8))
				.collect(Collectors.toSet());
			long removed = named.stream().filter(stored::remove).count();
			return removed;
		});
		RedisConnection connection = mock(RedisConnection.class);
		given(connection.keyCommands()).willReturn(commands);
		RedisConnectionFactory factory = mock(RedisConnectionFactory.class);
		given(factory.getConnection()).willReturn(connection);
		try (RedisTokenCache cache = RedisTokenCache.builder(factory).build()) {
			Map<TokenKind, Long> removed = cache.remove("exchange");

			assertThat(removed).containsExactly(Map.entry(TokenKind.USER, 2L));
			assertThat(stored).isEmpty();
		}
	}

	@SuppressWarnings("unchecked")
	private static Cursor<byte[]> cursor(String... keys) {
		Cursor<byte[]> cursor = mock(Cursor.class);
		List<byte[]> values = Arrays.stream(keys).map((key) -> key.getBytes(StandardCharsets.UTF_8)).toList();
		int[] position = { 0 };
		given(cursor.hasNext()).willAnswer((invocation) -> position[0] < values.size());
		given(cursor.next()).willAnswer((invocation) -> values.get(position[0]++));
		return cursor;
	}

}
