package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

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

	private final AuthorizedTokens tokens = new AuthorizedTokens(new RefreshSchedule(Duration.ZERO, Duration.ZERO));

	private final ClientRegistration registration = ClientRegistration.withRegistrationId("api")
		.clientId("client")
		.clientSecret("secret")
		.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
		.tokenUri("http://127.0.0.1:9/token")
		.build();

	private final TokenKey key = TokenKey.system("api", List.of(), null);

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

}
