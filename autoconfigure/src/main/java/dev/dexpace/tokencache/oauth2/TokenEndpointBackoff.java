package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;

/**
 * Keeps callers off a token endpoint that failed, for both managers: after a failure,
 * token requests that the failure is about are not sent until its backoff ends, and the
 * callers fail at once with an error that says why. The first success ends a backoff.
 * <table>
 * <caption>What a failure is about, and how long its backoff lasts</caption>
 * <tr><th>failure</th><th>scope</th><th>backoff</th></tr>
 * <tr><td>{@code Retry-After} (a 503 or 429 that asks to wait)</td><td>the token endpoint:
 * every key that uses it</td><td>until that instant (at most
 * {@link TokenEndpointBusyException#MAX_RETRY_AFTER})</td></tr>
 * <tr><td>an error that may heal without {@code Retry-After} (a 5xx, a timeout, a refused
 * connection)</td><td>the token endpoint</td><td>250 ms, doubling up to 30 s, jittered</td></tr>
 * <tr><td>an error about the client ({@code invalid_client}, {@code unauthorized_client},
 * {@code unsupported_grant_type}, a 401 or 403 of the token endpoint)</td><td>the client
 * at that endpoint: every key of that client</td><td>1 s, doubling up to 30 s</td></tr>
 * <tr><td>an error about the request ({@code invalid_scope}, {@code invalid_grant},
 * {@code invalid_request})</td><td>that key only</td><td>1 s, doubling up to 30 s</td></tr>
 * <tr><td>an error that is not the identity provider's</td><td>none</td><td>none: it is
 * the caller's to see</td></tr>
 * </table>
 * The number of scopes held is bounded; a scope whose backoff ended and that did not fail
 * again is forgotten.
 * <p>
 * A request that was already under way when a backoff began and then fails too does not
 * lengthen it: only the request sent after a backoff ended moves it to its next step, so
 * many callers failing at once (a thousand users whose token requests were in flight)
 * count as one failure.
 * <p>
 * One instance is shared by every caching manager of an application (blocking, reactive,
 * and each request-scoped decorator), so that they all stay off the same endpoint.
 *
 * @since 0.1.0
 */
public final class TokenEndpointBackoff {

	static final long FIRST_HEALING_MILLIS = 250;

	static final long FIRST_REJECTED_MILLIS = 1_000;

	static final long MAX_BACKOFF_MILLIS = 30_000;

	/**
	 * A bound on keys in backoff at once, in case a key resolver mints many keys, and a
	 * bound of its own on endpoints and clients, which are as many as the registrations
	 * unless a repository builds registrations per tenant or a key resolver mints client
	 * digests. Each kind has its own, so that keys never take the places of an outage.
	 */
	static final int MAX_SCOPES = 4096;

	private static final Set<String> ABOUT_THE_REQUEST = Set.of(OAuth2ErrorCodes.INVALID_SCOPE,
			OAuth2ErrorCodes.INVALID_GRANT, OAuth2ErrorCodes.INVALID_REQUEST);

	private final ConcurrentMap<Object, State> states = new ConcurrentHashMap<>();

	private final LongSupplier clock;

	/**
	 * Create a backoff on a clock.
	 * @param clock the clock that tells the current time
	 */
	public TokenEndpointBackoff(Clock clock) {
		this(clock::millis);
	}

	/**
	 * Create a backoff.
	 * @param clock tells the current epoch millisecond
	 */
	TokenEndpointBackoff(LongSupplier clock) {
		this.clock = clock;
	}

	/**
	 * Return the error to fail a token request with at once, or {@code null} to send it.
	 * @param tokenUri the token endpoint
	 * @param key the key the token is requested for
	 * @return the error, or {@code null} when no backoff applies
	 */
	@Nullable OAuth2AuthorizationException check(String tokenUri, TokenKey key) {
		if (this.states.isEmpty()) {
			return null;
		}
		long now = this.clock.getAsLong();
		OAuth2AuthorizationException error = check(new EndpointScope(tokenUri), now);
		if (error == null) {
			error = check(new ClientScope(tokenUri, key.clientDigest()), now);
		}
		return (error != null) ? error : check(key, now);
	}

	private @Nullable OAuth2AuthorizationException check(Object scope, long now) {
		State state = this.states.get(scope);
		if (state == null || now >= state.untilMillis()) {
			return null;
		}
		return state.failFast(now);
	}

	/**
	 * Record a failed token request.
	 * @param tokenUri the token endpoint
	 * @param key the key the token was requested for
	 * @param failure what the request threw
	 * @return how long the endpoint asked every caller to wait ({@code Retry-After}), for
	 * the other instances of a fleet, or {@code null} when it did not
	 */
	@Nullable Duration failed(String tokenUri, TokenKey key, Throwable failure) {
		long now = this.clock.getAsLong();
		Object scope;
		long retryAfter = TokenRequestErrors.retryAfterMillis(failure, Instant.ofEpochMilli(now));
		if (retryAfter > 0) {
			scope = new EndpointScope(tokenUri);
		}
		else if (!TokenRequestErrors.isFromTheIdentityProvider(failure)) {
			return null;
		}
		else if (!TokenRequestErrors.isPermanent(failure)) {
			scope = new EndpointScope(tokenUri);
		}
		else {
			String code = TokenRequestErrors.errorCode(failure);
			scope = (code != null && ABOUT_THE_REQUEST.contains(code)) ? key
					: new ClientScope(tokenUri, key.clientDigest());
		}
		boolean healing = !TokenRequestErrors.isPermanent(failure);
		// Keys on one side, endpoints and clients on the other, are bounded each: an outage is
		// recorded however many keys are in backoff.
		if (this.states.size() >= MAX_SCOPES && !this.states.containsKey(scope) && held(scope) >= MAX_SCOPES) {
			this.states.values().removeIf((state) -> now >= state.untilMillis());
			if (held(scope) >= MAX_SCOPES) {
				return (retryAfter > 0) ? Duration.ofMillis(retryAfter) : null;
			}
		}
		this.states.compute(scope, (ignored, previous) -> {
			if (previous != null && now < previous.untilMillis() && retryAfter <= 0) {
				// Sent before this backoff began: it tells nothing new.
				return previous;
			}
			int attempt = (previous != null) ? previous.attempt() + 1 : 0;
			long wait = (retryAfter > 0) ? retryAfter
					: delayMillis(healing ? FIRST_HEALING_MILLIS : FIRST_REJECTED_MILLIS, attempt);
			return new State(now + wait, attempt, failure, retryAfter > 0);
		});
		return (retryAfter > 0) ? Duration.ofMillis(retryAfter) : null;
	}

	/**
	 * Return how many scopes of the kind of this one are held: keys, or endpoints and
	 * clients.
	 */
	private long held(Object scope) {
		boolean key = scope instanceof TokenKey;
		return this.states.keySet().stream().filter((held) -> (held instanceof TokenKey) == key).count();
	}

	/**
	 * Record that another instance of the fleet was asked by the endpoint to wait: every
	 * key that uses it fails at once until then, as after a {@code Retry-After} here.
	 * @param tokenUri the token endpoint
	 * @param remaining how much longer the wait lasts
	 */
	void busyElsewhere(String tokenUri, Duration remaining) {
		long now = this.clock.getAsLong();
		Duration wait = (remaining.compareTo(TokenEndpointBusyException.MAX_RETRY_AFTER) > 0)
				? TokenEndpointBusyException.MAX_RETRY_AFTER : remaining;
		TokenEndpointBusyException failure = new TokenEndpointBusyException(
				new OAuth2Error(OAuth2ErrorCodes.TEMPORARILY_UNAVAILABLE,
						"The token endpoint asked another instance to wait", null),
				wait);
		this.states.merge(new EndpointScope(tokenUri), new State(now + wait.toMillis(), 0, failure, true),
				(previous, shared) -> (previous.untilMillis() >= shared.untilMillis()) ? previous : shared);
	}
	/**
	 * Record a token request that succeeded: it ends every backoff it was under.
	 * @param tokenUri the token endpoint
	 * @param key the key the token was requested for
	 */
	void succeeded(String tokenUri, TokenKey key) {
		if (this.states.isEmpty()) {
			return;
		}
		this.states.remove(new EndpointScope(tokenUri));
		this.states.remove(new ClientScope(tokenUri, key.clientDigest()));
		this.states.remove(key);
	}

	/**
	 * Return how many token endpoints are in backoff now, for a gauge: for every key that
	 * uses them, or for a client of theirs.
	 * @return the number of endpoints whose backoff has not ended
	 */
	public int endpointsInBackoff() {
		long now = this.clock.getAsLong();
		return this.states.entrySet()
			.stream()
			.filter((entry) -> !(entry.getKey() instanceof TokenKey) && now < entry.getValue().untilMillis())
			.map((entry) -> (entry.getKey() instanceof EndpointScope endpoint) ? endpoint.tokenUri()
					: ((ClientScope) entry.getKey()).tokenUri())
			.collect(Collectors.toSet())
			.size();
	}

	@Override
	public String toString() {
		return "TokenEndpointBackoff[endpointsInBackoff=" + endpointsInBackoff() + "]";
	}

	/**
	 * A jittered exponential delay: between half and all of {@code first * 2^attempt},
	 * at most {@link #MAX_BACKOFF_MILLIS}.
	 */
	static long delayMillis(long first, int attempt) {
		long bound = Math.min(MAX_BACKOFF_MILLIS, first << Math.min(attempt, 16));
		return bound / 2 + ThreadLocalRandom.current().nextLong(bound / 2 + 1);
	}

	private record EndpointScope(String tokenUri) {

	}

	private record ClientScope(String tokenUri, String clientDigest) {

	}

	/**
	 * A backoff: until when, how many failures in a row, the last one, and whether the
	 * endpoint asked to wait.
	 */
	private record State(long untilMillis, int attempt, Throwable failure, boolean busy) {

		OAuth2AuthorizationException failFast(long now) {
			Duration remaining = Duration.ofMillis(untilMillis - now);
			OAuth2Error error = (failure instanceof OAuth2AuthorizationException oauth2) ? oauth2.getError()
					: new OAuth2Error(OAuth2ErrorCodes.TEMPORARILY_UNAVAILABLE,
							"The token endpoint failed (" + TokenRequestErrors.describe(failure) + ")", null);
			if (busy) {
				TokenEndpointBusyException busyError = new TokenEndpointBusyException(error, remaining);
				busyError.initCause(failure);
				return busyError;
			}
			return new OAuth2AuthorizationException(error, "Not asking the token endpoint again for "
					+ remaining.toMillis() + " ms after " + TokenRequestErrors.describe(failure), failure);
		}

	}

}
