package dev.dexpace.tokencache.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.redis.NearCache;
import dev.dexpace.tokencache.redis.RedisTokenCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import redis.embedded.RedisServer;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * Latency of a cache hit: {@link RedisTokenCache#get} against a local {@code redis-server}
 * (plain, with AES-GCM sealing, and with a {@link NearCache} in front) beside
 * {@link InMemoryTokenCache#get}, and a bare {@code GET} through a {@code RedisTemplate}
 * on the same connection factory, which shows what the cache adds on top of the round trip
 * (decoding, and the wait for Lettuce's reply that bounds each call with a timeout) and
 * what the near cache saves.
 * <p>
 * Sample-time mode, so JMH reports percentiles; the median is {@code p0.50}. Short runs,
 * sized for a couple of minutes on two cores.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class TokenCacheGetBenchmark {

	private static final TokenKey KEY = TokenKey.system("api", TokenKey.clientDigest("app", "http://127.0.0.1/token"),
			List.of("api.read", "api.write"), null);

	private RedisServer redisServer;

	private LettuceConnectionFactory connectionFactory;

	private RedisTokenCache redisCache;

	private RedisTokenCache sealedRedisCache;

	private InMemoryTokenCache memoryCache;

	private NearCache nearCache;

	private RedisTokenCache nearCachedRedisCache;

	private RedisTemplate<String, byte[]> template;

	private String rawKey;

	@Setup(Level.Trial)
	public void setUp() throws IOException {
		int port = freePort();
		this.redisServer = RedisServer.newRedisServer().port(port).setting("save \"\"").setting("appendonly no").build();
		this.redisServer.start();
		this.connectionFactory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port));
		this.connectionFactory.afterPropertiesSet();
		CachedToken token = new CachedToken("opaque-" + "x".repeat(800), "Bearer", Set.of("api.read", "api.write"),
				Instant.now(), Instant.now().plus(Duration.ofHours(1)));
		this.redisCache = RedisTokenCache.builder(this.connectionFactory).build();
		this.redisCache.warmUp(Duration.ofSeconds(10));
		this.redisCache.put(KEY, token);
		byte[] encryptionKey = new byte[32];
		this.sealedRedisCache = RedisTokenCache.builder(this.connectionFactory)
			.keyPrefix("sealed:")
			.encryptionKey(encryptionKey)
			.build();
		this.sealedRedisCache.put(KEY, token);
		this.nearCache = new NearCache(1024, Duration.ofMinutes(1));
		this.nearCache.subscribe(this.connectionFactory, "near:");
		this.nearCachedRedisCache = RedisTokenCache.builder(this.connectionFactory)
			.keyPrefix("near:")
			.nearCache(this.nearCache)
			.build();
		this.nearCachedRedisCache.put(KEY, token);
		this.memoryCache = new InMemoryTokenCache(32, 256, Duration.ofSeconds(30));
		this.memoryCache.put(KEY, token);
		this.template = new RedisTemplate<>();
		this.template.setConnectionFactory(this.connectionFactory);
		this.template.setEnableDefaultSerializer(false);
		this.template.setKeySerializer(RedisSerializer.string());
		this.template.setValueSerializer(RedisSerializer.byteArray());
		this.template.afterPropertiesSet();
		this.rawKey = this.redisCache.redisKey(KEY);
		if (this.redisCache.get(KEY) == null || this.sealedRedisCache.get(KEY) == null
				|| this.nearCachedRedisCache.get(KEY) == null || this.nearCache.size() != 1) {
			throw new IllegalStateException("Redis caches do not hit");
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws IOException {
		this.redisCache.close();
		this.sealedRedisCache.close();
		this.nearCachedRedisCache.close();
		this.nearCache.close();
		this.connectionFactory.destroy();
		this.redisServer.stop();
	}

	@Benchmark
	public CachedToken redisHit() {
		return this.redisCache.get(KEY);
	}

	@Benchmark
	public CachedToken redisHitSealed() {
		return this.sealedRedisCache.get(KEY);
	}

	@Benchmark
	public CachedToken redisNearCacheHit() {
		return this.nearCachedRedisCache.get(KEY);
	}

	@Benchmark
	public byte[] redisBareGet() {
		return this.template.opsForValue().get(this.rawKey);
	}

	@Benchmark
	public CachedToken memoryHit() {
		return this.memoryCache.get(KEY);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

}
