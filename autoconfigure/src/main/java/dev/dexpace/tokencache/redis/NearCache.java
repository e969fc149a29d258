package dev.dexpace.tokencache.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.dexpace.tokencache.CachedToken;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.util.ClassUtils;

/**
 * A bounded in-memory tier in front of the Redis token cache, so that a hit costs no
 * network round trip. One near cache serves the blocking and the reactive Redis cache of
 * an application.
 * <p>
 * Redis stays the only shared store and the near cache never knows more than it:
 * <ul>
 * <li>an entry is only ever a copy of what this instance read from or wrote to Redis, and
 * it expires no later than the Redis key it was copied from (its {@code PTTL} when read,
 * the TTL written when put) and no later than {@code time-to-live};</li>
 * <li>every delete, conditional delete and clear, on any instance, is published on the
 * channel {@code <prefix>invalidate} after Redis has been changed; each instance
 * subscribes to that channel through Spring Data Redis'
 * {@link RedisMessageListenerContainer} and drops the entry when the message arrives (with
 * Redis Cluster, a {@code PUBLISH} reaches subscribers on every node);</li>
 * <li>a copy read from Redis while an invalidation arrives is not kept: every
 * invalidation moves an epoch, and a read that started under an older epoch does not
 * write to the near cache;</li>
 * <li>messages published while this instance's subscription is down are lost, so
 * whenever the subscription is (re)established the whole near cache is dropped, and
 * while the channel is not subscribed (Redis down at start-up) nothing is served from or
 * kept in memory;</li>
 * <li>Lettuce reconnects a dropped subscription by itself, unseen by the listener
 * container, so the near cache also watches the connections of the factory's Lettuce
 * client: when a pub/sub connection drops, it drops every entry and serves nothing until
 * it knows it hears the channel again, because its channel was subscribed again or
 * because a probe it published on the channel came back.</li>
 * </ul>
 * Messages hold only Redis keys, which hold digests: never a token.
 *
 * @since 0.1.0
 */
public final class NearCache implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(NearCache.class);

	/**
	 * The message that drops every entry, published by {@code clear()}.
	 */
	static final String ALL = "*";

	/**
	 * The start of a probe message, which never is a Redis key: an instance that hears
	 * its own probe knows that it hears the channel.
	 */
	static final String PROBE = "?";

	private static final Duration SUBSCRIBE_RETRY = Duration.ofSeconds(5);

	private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

	private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent("io.lettuce.core.RedisClient",
			NearCache.class.getClassLoader());

	private final Cache<String, Entry> entries;

	private final long timeToLiveNanos;

	private final LongSupplier nanoTime;

	private final AtomicLong epoch = new AtomicLong();

	private final AtomicLong invalidationsReceived = new AtomicLong();

	private volatile @Nullable RedisMessageListenerContainer container;

	private volatile Runnable onInvalidation = () -> {
	};

	private volatile @Nullable ScheduledExecutorService retries;

	private volatile boolean subscribeFailureLogged;

	private volatile BooleanSupplier listening = () -> false;

	// Whether no pub/sub connection dropped since the channel was last known to be heard.
	private volatile boolean heard = true;

	private volatile @Nullable String pendingProbe;

	private final Object probeMonitor = new Object();

	private volatile @Nullable ScheduledExecutorService probes;

	private volatile Runnable unwatch = () -> {
	};

	/**
	 * Create a near cache.
	 * @param maxSize the most entries it holds
	 * @param timeToLive the longest an entry is kept, however long its Redis key lives
	 */
	public NearCache(long maxSize, Duration timeToLive) {
		this(maxSize, timeToLive, System::nanoTime);
	}

	/**
	 * Create a near cache on a clock of its own, for tests.
	 * @param maxSize the most entries it holds
	 * @param timeToLive the longest an entry is kept
	 * @param nanoTime a monotonic clock in nanoseconds
	 */
	NearCache(long maxSize, Duration timeToLive, LongSupplier nanoTime) {
		if (maxSize <= 0) {
			throw new IllegalArgumentException("maxSize must be positive");
		}
		if (timeToLive.isNegative() || timeToLive.isZero()) {
			throw new IllegalArgumentException("timeToLive must be positive");
		}
		this.timeToLiveNanos = timeToLive.toNanos();
		this.nanoTime = nanoTime;
		this.entries = Caffeine.newBuilder()
			.maximumSize(maxSize)
			.ticker(nanoTime::getAsLong)
			.expireAfter(new EntryExpiry())
			.build();
	}

	/**
	 * Subscribe to the invalidation channel of a key prefix on the application's Redis
	 * connection factory. The subscription lives until {@link #close()}.
	 * @param connectionFactory the connection factory
	 * @param keyPrefix the key prefix of the caches this near cache serves
	 */
	public void subscribe(RedisConnectionFactory connectionFactory, String keyPrefix) {
		String channel = new RedisKeys(keyPrefix).invalidationChannel();
		if (LETTUCE_PRESENT) {
			this.unwatch = LettuceWatch.watch(connectionFactory, () -> disconnected(connectionFactory, channel));
		}
		if (trySubscribe(connectionFactory, channel)) {
			return;
		}
		// Redis is down at start-up: the application starts anyway, the near cache stays
		// unused (every read goes to Redis) until the subscription is made.
		ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "dexpace-token-cache-near-cache-subscribe");
			thread.setDaemon(true);
			return thread;
		});
		this.retries = retries;
		retries.scheduleWithFixedDelay(() -> {
			if (trySubscribe(connectionFactory, channel)) {
				logger.info("Near cache subscribed to token cache invalidations");
				retries.shutdown();
			}
		}, SUBSCRIBE_RETRY.toMillis(), SUBSCRIBE_RETRY.toMillis(), TimeUnit.MILLISECONDS);
	}

	private boolean trySubscribe(RedisConnectionFactory connectionFactory, String channel) {
		RedisMessageListenerContainer listenerContainer = new RedisMessageListenerContainer();
		listenerContainer.setConnectionFactory(connectionFactory);
		listenerContainer.setBeanName("dexpace-token-cache-near-cache");
		// Dropping an entry is quick and never blocks: do it on the thread that received
		// the message, in order, rather than on a new thread per message.
		listenerContainer.setTaskExecutor(Runnable::run);
		listenerContainer.addMessageListener(new Invalidations(), new ChannelTopic(channel));
		listenerContainer.afterPropertiesSet();
		try {
			// Waits a bounded time for the subscription to be confirmed.
			listenerContainer.start();
			this.container = listenerContainer;
			this.listening = listenerContainer::isListening;
			return true;
		}
		catch (RuntimeException ex) {
			if (!this.subscribeFailureLogged) {
				this.subscribeFailureLogged = true;
				logger.warn("Near cache could not subscribe to token cache invalidations ("
						+ ex.getClass().getSimpleName() + "); serving every read from Redis and retrying every "
						+ SUBSCRIBE_RETRY.toSeconds() + "s");
			}
			destroy(listenerContainer);
			return false;
		}
	}

	/**
	 * Return the token held for a Redis key.
	 * @param redisKey the Redis key
	 * @return the token, or {@code null} if none is held, it has expired, or invalidations
	 * cannot arrive right now
	 */
	/**
	 * A pub/sub connection dropped, perhaps this one's: messages may be lost from now on.
	 * Drop everything and serve nothing until the channel is heard again, probing it
	 * meanwhile.
	 */
	private void disconnected(RedisConnectionFactory connectionFactory, String channel) {
		String probe = PROBE + Long.toHexString(ThreadLocalRandom.current().nextLong());
		this.pendingProbe = probe;
		this.heard = false;
		invalidateAll();
		if (logger.isDebugEnabled()) {
			logger.debug("A Redis pub/sub connection dropped; near cache unused until " + channel + " is heard again");
		}
		synchronized (this.probeMonitor) {
			if (this.probes != null || (this.container == null && this.retries == null)) {
				return;
			}
			ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((runnable) -> {
				Thread thread = new Thread(runnable, "dexpace-token-cache-near-cache-probe");
				thread.setDaemon(true);
				return thread;
			});
			this.probes = executor;
			byte[] rawChannel = channel.getBytes(StandardCharsets.UTF_8);
			executor.scheduleWithFixedDelay(() -> {
				String pending = this.pendingProbe;
				if (this.heard || pending == null) {
					return;
				}
				try (RedisConnection connection = connectionFactory.getConnection()) {
					connection.publish(rawChannel, pending.getBytes(StandardCharsets.UTF_8));
				}
				catch (RuntimeException ex) {
					logger.debug("Could not probe the near cache's subscription", ex);
				}
			}, 0, PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
		}
	}

	@Nullable CachedToken get(String redisKey) {
		if (!isListening()) {
			return null;
		}
		Entry entry = this.entries.getIfPresent(redisKey);
		if (entry == null) {
			return null;
		}
		if (this.nanoTime.getAsLong() - entry.expiresAtNanos() >= 0) {
			this.entries.asMap().remove(redisKey, entry);
			return null;
		}
		return entry.token();
	}

	/**
	 * Return the current epoch, to be passed to {@link #put} after a read from Redis.
	 * @return the epoch
	 */
	long epoch() {
		return this.epoch.get();
	}

	/**
	 * Keep a copy of a token read from or written to Redis, unless an invalidation arrived
	 * since the epoch was taken.
	 * @param redisKey the Redis key
	 * @param token the token
	 * @param ttlMillis how long the Redis key lives from now
	 * @param epoch the epoch taken before Redis was read or written
	 */
	void put(String redisKey, CachedToken token, long ttlMillis, long epoch) {
		if (ttlMillis <= 0 || !isListening()) {
			return;
		}
		long lifetime = Math.min(TimeUnit.MILLISECONDS.toNanos(ttlMillis), this.timeToLiveNanos);
		Entry entry = new Entry(token, this.nanoTime.getAsLong() + lifetime, lifetime);
		this.entries.put(redisKey, entry);
		if (this.epoch.get() != epoch) {
			// An invalidation arrived while Redis was being read: the copy may be stale.
			this.entries.asMap().remove(redisKey, entry);
		}
	}

	/**
	 * Drop the entry of a Redis key on this instance.
	 * @param redisKey the Redis key
	 */
	void invalidate(String redisKey) {
		this.epoch.incrementAndGet();
		this.entries.invalidate(redisKey);
	}

	/**
	 * Drop every entry on this instance.
	 */
	void invalidateAll() {
		this.epoch.incrementAndGet();
		this.entries.invalidateAll();
	}

	/**
	 * Act on an invalidation message.
	 * @param message a Redis key, or {@link #ALL}
	 */
	void received(String message) {
		if (message.startsWith(PROBE)) {
			if (message.equals(this.pendingProbe)) {
				// Everything published from now on arrives.
				this.heard = true;
			}
			return;
		}
		if (ALL.equals(message)) {
			invalidateAll();
		}
		else {
			invalidate(message);
		}
		this.invalidationsReceived.incrementAndGet();
		this.onInvalidation.run();
	}

	/**
	 * Run an action after each invalidation message has been applied, for tests that wait
	 * for one with a latch.
	 * @param action the action
	 */
	void onInvalidation(Runnable action) {
		this.onInvalidation = Objects.requireNonNull(action);
	}

	/**
	 * Return how many invalidation messages arrived since start-up, this instance's own
	 * included.
	 * @return the number of messages
	 */
	public long invalidationsReceived() {
		return this.invalidationsReceived.get();
	}

	/**
	 * Run pending evictions now, for tests that count entries.
	 */
	void cleanUp() {
		this.entries.cleanUp();
	}

	/**
	 * Return how many tokens are held.
	 * @return the estimated number of entries
	 */
	public long size() {
		return this.entries.estimatedSize();
	}

	/**
	 * Return whether the invalidation channel is subscribed right now.
	 * @return whether invalidations can arrive
	 */
	public boolean isListening() {
		return this.heard && this.listening.getAsBoolean();
	}

	/**
	 * Act as if invalidations could arrive, without a subscription, for tests.
	 */
	void assumeListening() {
		this.listening = () -> true;
	}

	/**
	 * Unsubscribe and drop every entry.
	 */
	@Override
	public void close() {
		this.unwatch.run();
		ScheduledExecutorService pending = this.retries;
		if (pending != null) {
			pending.shutdownNow();
		}
		synchronized (this.probeMonitor) {
			ScheduledExecutorService probing = this.probes;
			this.probes = null;
			if (probing != null) {
				probing.shutdownNow();
			}
		}
		RedisMessageListenerContainer current = this.container;
		this.container = null;
		this.listening = () -> false;
		if (current != null) {
			destroy(current);
		}
		invalidateAll();
	}

	private static void destroy(RedisMessageListenerContainer listenerContainer) {
		try {
			listenerContainer.destroy();
		}
		catch (Exception ex) {
			logger.debug("Could not stop the near cache's subscription", ex);
		}
	}

	@Override
	public String toString() {
		return "NearCache[size=" + size() + ", listening=" + isListening() + "]";
	}

	private record Entry(CachedToken token, long expiresAtNanos, long lifetimeNanos) {

	}

	/**
	 * Each entry expires after its own lifetime; a read does not extend it.
	 */
	private static final class EntryExpiry implements Expiry<String, Entry> {

		@Override
		public long expireAfterCreate(String key, Entry value, long currentTime) {
			return value.lifetimeNanos();
		}

		@Override
		public long expireAfterUpdate(String key, Entry value, long currentTime, long currentDuration) {
			return value.lifetimeNanos();
		}

		@Override
		public long expireAfterRead(String key, Entry value, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

	/**
	 * Receives invalidation messages, and drops everything whenever the channel is
	 * (re)subscribed: messages sent while it was not may be lost.
	 */
	private final class Invalidations implements MessageListener, SubscriptionListener {

		@Override
		public void onMessage(Message message, byte @Nullable [] pattern) {
			received(new String(message.getBody(), StandardCharsets.UTF_8));
		}

		@Override
		public void onChannelSubscribed(byte[] channel, long count) {
			invalidateAll();
			// Everything published from now on arrives.
			NearCache.this.heard = true;
			if (logger.isDebugEnabled()) {
				logger.debug("Near cache subscribed to " + new String(channel, StandardCharsets.UTF_8));
			}
		}

		@Override
		public void onChannelUnsubscribed(byte[] channel, long count) {
			invalidateAll();
		}

	}

	/**
	 * Watches the connections of the factory's Lettuce client, kept apart so that
	 * Lettuce's types are loaded only when Lettuce is there.
	 */
	private static final class LettuceWatch {

		/**
		 * Run an action whenever a pub/sub connection of the factory's client drops.
		 * @return how to stop watching
		 */
		static Runnable watch(RedisConnectionFactory connectionFactory, Runnable onPubSubDisconnected) {
			AbstractRedisClient client = (connectionFactory instanceof LettuceConnectionFactory lettuce)
					? lettuce.getNativeClient() : null;
			if (client == null) {
				return () -> {
				};
			}
			RedisConnectionStateListener listener = new RedisConnectionStateListener() {

				@Override
				public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
					// Which connection the listener container holds is not known: any
					// pub/sub connection of the client may be it.
					if (connection instanceof StatefulRedisPubSubConnection<?, ?>) {
						onPubSubDisconnected.run();
					}
				}

			};
			client.addListener(listener);
			return () -> client.removeListener(listener);
		}

	}

}
