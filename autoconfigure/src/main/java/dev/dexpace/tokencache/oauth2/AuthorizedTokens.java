package dev.dexpace.tokencache.oauth2;

import java.lang.ref.WeakReference;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Future;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;

/**
 * The Spring Security view of the tokens the cache holds: for each application
 * ({@link TokenKind#SYSTEM system}) key, the {@link OAuth2AuthorizedClient} built for its
 * current token, so that a cache hit hands out an existing object instead of building
 * one per call. The entry is also the last known token of its key, which is served when
 * the identity provider fails and the token has not really expired yet.
 * <p>
 * User keys are not remembered: there is one per user, and their tokens are bounded by
 * the cache alone.
 * <p>
 * Both caching managers hold one, and it is all the token state they keep beside the
 * cache: the memo, the last token of each key, and the flag that tells a hit its refresh
 * is due.
 */
final class AuthorizedTokens {

	/**
	 * A bound for keys a custom {@link TokenKeyResolver} might mint per call: past it,
	 * new system keys are served without being remembered.
	 */
	static final int MAX_REMEMBERED = 1024;

	private final ConcurrentMap<TokenKey, AuthorizedToken> remembered = new ConcurrentHashMap<>();

	private final RefreshSchedule schedule;

	private final @Nullable RefreshTimer timer;

	/**
	 * Remember tokens whose refresh is due when a hit reads the clock and finds it so.
	 * @param schedule when refreshes are due
	 */
	AuthorizedTokens(RefreshSchedule schedule) {
		this(schedule, null);
	}

	/**
	 * Remember tokens whose refresh is due when a timer says so: a hit on a remembered
	 * token then reads a flag instead of the clock, which on virtual machines costs more
	 * than the rest of the hit.
	 * @param schedule when refreshes are due
	 * @param timer sets the flag of a remembered token when its refresh is due, on the
	 * system clock; {@code null} to read the clock on every hit
	 */
	AuthorizedTokens(RefreshSchedule schedule, @Nullable RefreshTimer timer) {
		this.schedule = schedule;
		this.timer = timer;
	}

	/**
	 * Return the authorized token for a cached token, built once per token of a system
	 * key.
	 * @param key the key the token is cached under
	 * @param registration the client registration
	 * @param token the cached token
	 * @param principal the principal asking
	 * @return the authorized token
	 */
	AuthorizedToken of(TokenKey key, ClientRegistration registration, CachedToken token, Authentication principal) {
		if (key.kind() != TokenKind.SYSTEM) {
			return build(registration, token, principal);
		}
		AuthorizedToken known = this.remembered.get(key);
		if (known != null && known.holds(registration, token)) {
			return known;
		}
		AuthorizedToken built = build(registration, token, principal);
		if (known != null || this.remembered.size() < MAX_REMEMBERED) {
			if (this.timer != null) {
				built.startTimer(this.timer);
			}
			AuthorizedToken replaced = this.remembered.put(key, built);
			if (replaced != null) {
				replaced.stopTimer();
			}
		}
		return built;
	}

	/**
	 * Return the last token seen for a key, if it is remembered.
	 * @param key the key
	 * @return the last authorized token, or {@code null}
	 */
	@Nullable AuthorizedToken last(TokenKey key) {
		return (key.kind() != TokenKind.SYSTEM) ? null : this.remembered.get(key);
	}

	/**
	 * Forget the last token of a key, so it is never served stale.
	 * @param key the key
	 */
	void forget(TokenKey key) {
		AuthorizedToken forgotten = this.remembered.remove(key);
		if (forgotten != null) {
			forgotten.stopTimer();
		}
	}

	private AuthorizedToken build(ClientRegistration registration, CachedToken token, Authentication principal) {
		return new AuthorizedToken(token,
				new OAuth2AuthorizedClient(registration, principal.getName(), TokenPolicy.accessToken(token)), principal,
				this.schedule.refreshAtMillis(token));
	}

	/**
	 * Sets a flag when the refresh of a token is due.
	 */
	@FunctionalInterface
	interface RefreshTimer {

		/**
		 * Run an action after a delay.
		 * @param action the action
		 * @param delayMillis the delay in milliseconds
		 * @return a handle to cancel it, or {@code null} if it could not be scheduled
		 */
		@Nullable Future<?> schedule(Runnable action, long delayMillis);

	}

	/**
	 * A cached token with the authorized client built for it.
	 */
	static final class AuthorizedToken {

		private final CachedToken token;

		private final OAuth2AuthorizedClient client;

		// The first principal, held weakly: the same instance again (such as the anonymous
		// principal of calls outside a request) is known without asking for its name,
		// which costs more than the rest of a hit.
		private final WeakReference<Authentication> principal;

		private final long refreshAtMillis;

		// Whether a timer tells when the refresh is due; if not, hits read the clock.
		private volatile boolean timed;

		private volatile boolean refreshDue;

		private volatile @Nullable Future<?> timer;

		/**
		 * Create an authorized token.
		 * @param token the cached token
		 * @param client the authorized client of the first principal that asked
		 * @param principal that first principal
		 * @param refreshAtMillis from when a background refresh is due
		 */
		AuthorizedToken(CachedToken token, OAuth2AuthorizedClient client, Authentication principal,
				long refreshAtMillis) {
			this.token = token;
			this.client = client;
			this.principal = new WeakReference<>(principal);
			this.refreshAtMillis = refreshAtMillis;
		}

		CachedToken token() {
			return this.token;
		}

		OAuth2AuthorizedClient client() {
			return this.client;
		}

		long refreshAtMillis() {
			return this.refreshAtMillis;
		}

		/**
		 * Return whether the background refresh of this token is due.
		 * @param clock the clock to read when no timer tells
		 * @return whether the refresh is due
		 */
		boolean isRefreshDue(Clock clock) {
			return this.timed ? this.refreshDue : clock.millis() >= this.refreshAtMillis;
		}

		void startTimer(RefreshTimer timer) {
			if (this.refreshAtMillis == Long.MAX_VALUE) {
				// Never due: nothing to schedule and nothing to read.
				this.timed = true;
				return;
			}
			Future<?> scheduled = timer.schedule(() -> this.refreshDue = true,
					Math.max(0, this.refreshAtMillis - System.currentTimeMillis()));
			if (scheduled != null) {
				this.timer = scheduled;
				this.timed = true;
			}
		}

		void stopTimer() {
			Future<?> scheduled = this.timer;
			if (scheduled != null) {
				scheduled.cancel(false);
			}
		}

		/**
		 * Return the authorized client for a principal: the shared one when the name
		 * matches, else a new client around the same access token.
		 * @param principal the principal
		 * @return the authorized client
		 */
		OAuth2AuthorizedClient client(Authentication principal) {
			if (this.principal.get() == principal) {
				return this.client;
			}
			String principalName = principal.getName();
			if (this.client.getPrincipalName().equals(principalName)) {
				return this.client;
			}
			return new OAuth2AuthorizedClient(this.client.getClientRegistration(), principalName,
					this.client.getAccessToken());
		}

		boolean holds(ClientRegistration registration, CachedToken token) {
			return this.client.getClientRegistration() == registration
					&& (this.token == token || this.token.equals(token));
		}

		@Override
		public String toString() {
			return "AuthorizedToken[" + this.token + "]";
		}

	}

}
