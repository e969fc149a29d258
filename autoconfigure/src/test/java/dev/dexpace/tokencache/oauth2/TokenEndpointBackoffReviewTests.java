package dev.dexpace.tokencache.oauth2;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.TokenKey;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TokenEndpointBackoff} when endpoints or clients are not as few as the
 * registrations of a static repository: a repository that builds registrations per tenant
 * (a token URI per tenant), or a key resolver that puts something per user in the client
 * digest.
 */
class TokenEndpointBackoffReviewTests {

	private final AtomicLong now = new AtomicLong(1_000_000);

	private final TokenEndpointBackoff backoff = new TokenEndpointBackoff(this.now::get);

	@Test
	void endpointsInBackoffAreBoundedWhenTokenUrisVary() {
		for (int i = 0; i < 2 * TokenEndpointBackoff.MAX_SCOPES; i++) {
			String tokenUri = "https://idp.example.com/tenant-" + i + "/token";
			this.backoff.failed(tokenUri, key(tokenUri, "app"), oauth2("temporarily_unavailable"));
		}
		assertThat(this.backoff.endpointsInBackoff()).isLessThanOrEqualTo(TokenEndpointBackoff.MAX_SCOPES);
	}

	@Test
	void clientsInBackoffAreBoundedWhenAResolverMintsClientDigests() {
		String tokenUri = "https://idp.example.com/token";
		for (int i = 0; i < 2 * TokenEndpointBackoff.MAX_SCOPES; i++) {
			this.backoff.failed(tokenUri, key(tokenUri, "app-" + i), oauth2("invalid_client"));
		}
		// A client that fails once the bound is reached is not recorded: its key is asked
		// for again.
		TokenKey last = key(tokenUri, "the-last-one");
		this.backoff.failed(tokenUri, last, oauth2("invalid_client"));
		assertThat(this.backoff.check(tokenUri, last)).isNull();
		// Once the recorded backoffs have ended, there is room again.
		this.now.addAndGet(TokenEndpointBackoff.MAX_BACKOFF_MILLIS);
		this.backoff.failed(tokenUri, last, oauth2("invalid_client"));
		assertThat(this.backoff.check(tokenUri, last)).isNotNull();
	}

	private static TokenKey key(String tokenUri, String clientId) {
		return TokenKey.system("api", TokenKey.clientDigest(clientId, tokenUri), List.of("api.read"), null);
	}

	private static OAuth2AuthorizationException oauth2(String code) {
		return new OAuth2AuthorizationException(new OAuth2Error(code, "from the identity provider", null));
	}

}
