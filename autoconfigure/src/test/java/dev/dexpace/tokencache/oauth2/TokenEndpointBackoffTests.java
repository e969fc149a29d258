package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import org.junit.jupiter.api.Test;

import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.web.client.ResourceAccessException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link TokenEndpointBackoff}.
 */
class TokenEndpointBackoffTests {

	private static final String IDP = "https://idp.example.com/token";

	private static final String OTHER_IDP = "https://other.example.com/token";

	private static final String CLIENT = TokenKey.clientDigest("app", IDP);

	private static final TokenKey READ = TokenKey.system("api", CLIENT, List.of("api.read"), null);

	private static final TokenKey WRITE = TokenKey.system("api", CLIENT, List.of("api.write"), null);

	private static final TokenKey OTHER_CLIENT = TokenKey.system("api", TokenKey.clientDigest("other", IDP),
			List.of("api.read"), null);

	private final AtomicLong now = new AtomicLong(1_000_000);

	private final TokenEndpointBackoff backoff = new TokenEndpointBackoff(this.now::get);

	@Test
	void retryAfterKeepsEveryKeyOfTheEndpointOffUntilThatInstant() {
		this.backoff.failed(IDP, READ, busy(Duration.ofSeconds(30)));
		OAuth2AuthorizationException error = this.backoff.check(IDP, WRITE);
		assertThat(error).isInstanceOf(TokenEndpointBusyException.class);
		assertThat(((TokenEndpointBusyException) error).getRetryAfter()).isEqualTo(Duration.ofSeconds(30));
		assertThat(this.backoff.check(IDP, OTHER_CLIENT)).isNotNull();
		assertThat(this.backoff.check(OTHER_IDP, READ)).isNull();
		this.now.addAndGet(29_999);
		assertThat(((TokenEndpointBusyException) this.backoff.check(IDP, READ)).getRetryAfter())
			.isEqualTo(Duration.ofMillis(1));
		this.now.addAndGet(1);
		assertThat(this.backoff.check(IDP, READ)).isNull();
		assertThat(this.backoff.endpointsInBackoff()).isZero();
	}

	@Test
	void aHealingErrorBacksOffExponentiallyWithJitterUntilTheFirstSuccess() {
		ResourceAccessException refused = new ResourceAccessException("Connection refused");
		this.backoff.failed(IDP, READ, refused);
		assertThat(this.backoff.check(IDP, WRITE)).hasRootCause(refused);
		assertThat(this.backoff.endpointsInBackoff()).isOne();
		this.now.addAndGet(TokenEndpointBackoff.FIRST_HEALING_MILLIS);
		assertThat(this.backoff.check(IDP, WRITE)).isNull();
		this.backoff.failed(IDP, READ, refused);
		this.now.addAndGet(TokenEndpointBackoff.FIRST_HEALING_MILLIS / 2 - 1);
		assertThat(this.backoff.check(IDP, READ)).as("the second wait is at least 250 ms").isNotNull();
		this.backoff.succeeded(IDP, READ);
		assertThat(this.backoff.check(IDP, READ)).isNull();
	}

	@Test
	void theDelayDoublesAndStaysWithinItsBound() {
		for (int attempt = 0; attempt < 40; attempt++) {
			long bound = Math.min(TokenEndpointBackoff.MAX_BACKOFF_MILLIS, 250L << Math.min(attempt, 16));
			assertThat(TokenEndpointBackoff.delayMillis(250, attempt)).isBetween(bound / 2, bound);
		}
	}

	@Test
	void anErrorAboutTheClientKeepsOnlyThatClientOff() {
		this.backoff.failed(IDP, READ, oauth2("invalid_client"));
		assertThat(this.backoff.check(IDP, WRITE)).isNotNull()
			.satisfies((error) -> assertThat(error.getError().getErrorCode()).isEqualTo("invalid_client"));
		assertThat(this.backoff.check(IDP, OTHER_CLIENT)).isNull();
		this.now.addAndGet(TokenEndpointBackoff.FIRST_REJECTED_MILLIS);
		assertThat(this.backoff.check(IDP, READ)).isNull();
	}

	@Test
	void anErrorAboutTheRequestKeepsOnlyThatKeyOff() {
		this.backoff.failed(IDP, READ, oauth2("invalid_scope"));
		assertThat(this.backoff.check(IDP, READ)).isNotNull();
		assertThat(this.backoff.check(IDP, WRITE)).isNull();
		assertThat(this.backoff.endpointsInBackoff()).isZero();
	}

	@Test
	void anOutageIsRecordedWhenEveryPlaceIsTakenByKeysInBackoff() {
		for (int i = 0; i < TokenEndpointBackoff.MAX_SCOPES; i++) {
			this.backoff.failed(IDP, TokenKey.system("api", CLIENT, List.of("scope-" + i), null),
					oauth2("invalid_scope"));
		}
		this.backoff.failed(IDP, OTHER_CLIENT, oauth2("invalid_client"));
		assertThat(this.backoff.check(IDP, OTHER_CLIENT)).as("the client is off").isNotNull();
		assertThat(this.backoff.check(IDP, WRITE)).as("another client of the endpoint is not").isNull();
		this.backoff.failed(OTHER_IDP, READ, oauth2("temporarily_unavailable"));
		assertThat(this.backoff.check(OTHER_IDP, WRITE)).as("every key of the other endpoint is off").isNotNull();
	}

	@Test
	void anErrorThatIsNotTheIdentityProvidersStartsNoBackoff() {
		this.backoff.failed(IDP, READ, new IllegalArgumentException("servletRequest cannot be null"));
		assertThat(this.backoff.check(IDP, READ)).isNull();
	}

	@Test
	void requestsThatWereUnderWayWhenTheBackoffBeganDoNotLengthenIt() {
		ResourceAccessException refused = new ResourceAccessException("Connection refused");
		this.backoff.failed(IDP, READ, refused);
		// A thousand users' requests that were sent before the first failure came back.
		for (int i = 0; i < 1000; i++) {
			this.backoff.failed(IDP, TokenKey.user("exchange", CLIENT, "subject-" + i, List.of("api.read"), null), refused);
		}
		this.now.addAndGet(TokenEndpointBackoff.FIRST_HEALING_MILLIS);
		assertThat(this.backoff.check(IDP, READ)).as("still the first, 250 ms step").isNull();
	}

	@Test
	void aFailureTellsTheWaitTheEndpointAnnouncedAndOnlyThat() {
		assertThat(this.backoff.failed(IDP, READ, busy(Duration.ofSeconds(30)))).isEqualTo(Duration.ofSeconds(30));
		assertThat(this.backoff.failed(IDP, READ, oauth2("invalid_client"))).isNull();
		assertThat(this.backoff.failed(OTHER_IDP, READ, new ResourceAccessException("Connection refused"))).isNull();
	}

	@Test
	void aWaitAnotherInstanceWasAskedForKeepsEveryKeyOfTheEndpointOffUntilItEnds() {
		this.backoff.busyElsewhere(IDP, Duration.ofSeconds(10));
		OAuth2AuthorizationException error = this.backoff.check(IDP, OTHER_CLIENT);
		assertThat(error).isInstanceOf(TokenEndpointBusyException.class);
		assertThat(((TokenEndpointBusyException) error).getRetryAfter()).isEqualTo(Duration.ofSeconds(10));
		assertThat(this.backoff.endpointsInBackoff()).isOne();
		// A shorter wait read later does not cut the longer one short.
		this.backoff.busyElsewhere(IDP, Duration.ofSeconds(1));
		this.now.addAndGet(9_999);
		assertThat(this.backoff.check(IDP, READ)).isNotNull();
		this.now.addAndGet(1);
		assertThat(this.backoff.check(IDP, READ)).isNull();
	}

	private static OAuth2AuthorizationException oauth2(String code) {
		return new OAuth2AuthorizationException(new OAuth2Error(code, "from the identity provider", null));
	}

	private static TokenEndpointBusyException busy(Duration retryAfter) {
		return new TokenEndpointBusyException(new OAuth2Error("temporarily_unavailable"), retryAfter);
	}

}
