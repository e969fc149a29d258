package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.oauth2.AuthorizedTokens.AuthorizedToken;
import org.junit.jupiter.api.Test;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link AuthorizedTokens}: one authorized client per token of a system key,
 * and every caller sees its own principal name on it.
 */
class AuthorizedTokensTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private final AuthorizedTokens tokens = new AuthorizedTokens(new RefreshSchedule(Duration.ZERO, Duration.ZERO));

	private final ClientRegistration registration = ClientRegistration.withRegistrationId("api")
		.clientId("client")
		.clientSecret("secret")
		.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
		.tokenUri("http://127.0.0.1:9/token")
		.build();

	private final TokenKey key = TokenKey.system("api", CLIENT, List.of(), null);

	private final CachedToken token = new CachedToken("value", "Bearer", Set.of(), Instant.now(),
			Instant.now().plus(Duration.ofHours(1)));

	@Test
	void theSamePrincipalGetsTheSameClient() {
		TestingAuthenticationToken alice = new TestingAuthenticationToken("alice", null);
		AuthorizedToken first = this.tokens.of(this.key, this.registration, this.token, alice);
		AuthorizedToken again = this.tokens.of(this.key, this.registration, this.token, alice);
		assertThat(again).isSameAs(first);
		assertThat(again.client(alice)).isSameAs(first.client(alice));
		assertThat(first.client(alice).getPrincipalName()).isEqualTo("alice");
	}

	@Test
	void anotherInstanceWithTheSameNameGetsTheSameClient() {
		AuthorizedToken first = this.tokens.of(this.key, this.registration, this.token,
				new TestingAuthenticationToken("alice", null));
		TestingAuthenticationToken aliceAgain = new TestingAuthenticationToken("alice", null);
		assertThat(first.client(aliceAgain)).isSameAs(first.client());
	}

	@Test
	void anotherPrincipalGetsItsOwnNameAroundTheSameAccessToken() {
		AuthorizedToken first = this.tokens.of(this.key, this.registration, this.token,
				new TestingAuthenticationToken("alice", null));
		OAuth2AuthorizedClient bob = this.tokens.of(this.key, this.registration, this.token,
				new TestingAuthenticationToken("bob", null))
			.client(new TestingAuthenticationToken("bob", null));
		assertThat(bob.getPrincipalName()).isEqualTo("bob");
		assertThat(bob.getAccessToken()).isSameAs(first.client().getAccessToken());
		assertThat(first.client().getPrincipalName()).isEqualTo("alice");
	}

	@Test
	void aNewTokenGetsANewClient() {
		TestingAuthenticationToken alice = new TestingAuthenticationToken("alice", null);
		AuthorizedToken first = this.tokens.of(this.key, this.registration, this.token, alice);
		CachedToken newer = new CachedToken("newer", "Bearer", Set.of(), Instant.now(),
				Instant.now().plus(Duration.ofHours(1)));
		AuthorizedToken second = this.tokens.of(this.key, this.registration, newer, alice);
		assertThat(second.client(alice).getAccessToken().getTokenValue()).isEqualTo("newer");
		assertThat(this.tokens.last(this.key)).isSameAs(second);
		assertThat(first.client(alice).getAccessToken().getTokenValue()).isEqualTo("value");
	}

	@Test
	void aTimerTellsARememberedTokenThatItsRefreshIsDueWithoutReadingTheClock() {
		List<Runnable> actions = new ArrayList<>();
		List<CompletableFuture<Object>> handles = new ArrayList<>();
		AuthorizedTokens timed = new AuthorizedTokens(new RefreshSchedule(Duration.ofMinutes(1), Duration.ZERO),
				(action, delayMillis) -> {
					assertThat(delayMillis).isBetween(Duration.ofMinutes(59).toMillis(), Duration.ofMinutes(60).toMillis());
					actions.add(action);
					CompletableFuture<Object> handle = new CompletableFuture<>();
					handles.add(handle);
					return handle;
				});
		TestingAuthenticationToken alice = new TestingAuthenticationToken("alice", null);
		AuthorizedToken first = timed.of(this.key, this.registration, this.token, alice);
		// A clock far in the future is not read: the timer has not fired.
		Clock late = Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC);
		assertThat(first.isRefreshDue(late)).isFalse();
		assertThat(actions).hasSize(1);
		actions.get(0).run();
		assertThat(first.isRefreshDue(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))).isTrue();
		// A new token replaces the first: its timer is cancelled.
		CachedToken newer = new CachedToken("newer", "Bearer", Set.of(), Instant.now(),
				Instant.now().plus(Duration.ofHours(1)));
		timed.of(this.key, this.registration, newer, alice);
		assertThat(handles.get(0)).isCancelled();
		timed.forget(this.key);
		assertThat(handles.get(1)).isCancelled();
	}

	@Test
	void withoutATimerHitsReadTheClock() {
		AuthorizedToken first = this.tokens.of(this.key, this.registration, this.token,
				new TestingAuthenticationToken("alice", null));
		assertThat(first.isRefreshDue(Clock.systemUTC())).isFalse();
		AuthorizedTokens refreshing = new AuthorizedTokens(new RefreshSchedule(Duration.ofMinutes(1), Duration.ZERO));
		AuthorizedToken token = refreshing.of(this.key, this.registration, this.token,
				new TestingAuthenticationToken("alice", null));
		assertThat(token.isRefreshDue(Clock.systemUTC())).isFalse();
		assertThat(token.isRefreshDue(Clock.fixed(Instant.now().plus(Duration.ofMinutes(59).plusSeconds(40)), ZoneOffset.UTC)))
			.isTrue();
	}

}
