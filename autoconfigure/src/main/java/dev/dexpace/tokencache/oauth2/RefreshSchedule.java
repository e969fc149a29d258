package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

import dev.dexpace.tokencache.CachedToken;

/**
 * When a cached token should be refreshed in the background, and how long to wait before
 * trying a failed refresh again.
 * <p>
 * A token stays in a cache until {@code expiresAt - expiryBuffer}. Its refresh is due a
 * little earlier: somewhere between the whole {@code refresh-ahead} window and half of it
 * before that moment, at a point drawn per token and per instance, so that a fleet that
 * fetched the same token at the same time does not refresh it at the same time. The
 * window never exceeds half the token's cache lifetime, so a short-lived token is not
 * refreshed on every call.
 */
final class RefreshSchedule {

	private static final long FIRST_RETRY_MILLIS = 500;

	private static final long MAX_RETRY_MILLIS = 30_000;

	private final long refreshAheadMillis;

	private final long expiryBufferMillis;

	private final long seed = ThreadLocalRandom.current().nextLong();

	/**
	 * Create a schedule.
	 * @param refreshAhead how long before a token leaves the cache its refresh may start;
	 * zero turns refresh-ahead off
	 * @param expiryBuffer how long before its real expiry a token leaves the cache
	 */
	RefreshSchedule(Duration refreshAhead, Duration expiryBuffer) {
		this.refreshAheadMillis = refreshAhead.toMillis();
		this.expiryBufferMillis = expiryBuffer.toMillis();
	}

	/**
	 * Return the epoch millisecond from which a refresh of the token is due, or
	 * {@link Long#MAX_VALUE} if it never is.
	 * @param token the cached token
	 * @return the moment the refresh is due
	 */
	long refreshAtMillis(CachedToken token) {
		if (this.refreshAheadMillis <= 0) {
			return Long.MAX_VALUE;
		}
		long leavesCache = token.expiresAt().toEpochMilli() - this.expiryBufferMillis;
		long window = this.refreshAheadMillis;
		Instant issuedAt = token.issuedAt();
		if (issuedAt != null) {
			window = Math.min(window, (leavesCache - issuedAt.toEpochMilli()) / 2);
		}
		if (window <= 0) {
			return Long.MAX_VALUE;
		}
		return leavesCache - window + (long) (window / 2 * unitJitter(token));
	}

	/**
	 * Return the epoch millisecond until which a token may still be sent when no newer
	 * one can be had: its real expiry.
	 * @param token the cached token
	 * @return the real expiry
	 */
	static long usableUntilMillis(CachedToken token) {
		return token.expiresAt().toEpochMilli();
	}

	/**
	 * Return how long to wait before retry number {@code attempt} (counting from 0) of a
	 * failed refresh: doubling from half a second up to 30 seconds, each wait drawn
	 * between half and the whole of that bound.
	 * @param attempt the number of failed attempts so far, minus one
	 * @return the delay in milliseconds
	 */
	static long retryDelayMillis(int attempt) {
		long bound = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempt, 16));
		return bound / 2 + ThreadLocalRandom.current().nextLong(bound / 2 + 1);
	}

	/**
	 * A number in [0, 1) fixed for a token on this instance and different across
	 * instances and tokens.
	 */
	private double unitJitter(CachedToken token) {
		long mixed = this.seed ^ token.tokenValue().hashCode() ^ token.expiresAt().getEpochSecond();
		mixed = (mixed ^ (mixed >>> 33)) * 0xff51afd7ed558ccdL;
		mixed = (mixed ^ (mixed >>> 33)) * 0xc4ceb9fe1a85ec53L;
		mixed ^= mixed >>> 33;
		return (mixed >>> 11) * 0x1.0p-53;
	}

}
