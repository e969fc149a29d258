package dev.dexpace.tokencache.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.endpoint.ReactiveTokenEndpointClients;
import dev.dexpace.tokencache.endpoint.TokenEndpoint;
import dev.dexpace.tokencache.endpoint.TokenEndpointBusyException;
import dev.dexpace.tokencache.endpoint.TokenEndpointClients;
import dev.dexpace.tokencache.expiry.ExpiryResolvingTokenResponseConverter;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.http.TokenCacheExchangeFilterFunction;
import dev.dexpace.tokencache.memory.InMemoryReactiveTokenCache;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.Facade;
import dev.dexpace.tokencache.test.MovableClock;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.TokenExchangeOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.TokenExchangeReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A token endpoint that fails keeps every caller off it for as long as its failure says,
 * counted at a real token endpoint, through a RestClient and a WebClient over the
 * blocking and the reactive caching manager, on a clock the test moves. Printed as
 * {@code FIGURE} lines.
 * <p>
 * {@code mvn -B verify -pl autoconfigure -Dit.test=TokenEndpointBackoffIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}
 */
class TokenEndpointBackoffIT {

	private static final int CALLS = 100;

	private static final int USERS = 1_000;

	private static final Duration WAIT = Duration.ofSeconds(30);

	private final TestIdentityProvider idp = new TestIdentityProvider().lifetime(Duration.ofMinutes(10));

	private final MovableClock clock = new MovableClock(Instant.now());

	private final AtomicLong nanos = new AtomicLong();

	private final Skips skips = new Skips();

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@AfterEach
	void close() throws Exception {
		for (AutoCloseable closeable : this.closeables) {
			closeable.close();
		}
		this.idp.close();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void afterA503WithRetryAfterCallersFailAtOnceUntilThatInstantAndTheFirstCallAfterItGetsAToken(Facade facade) {
		Client client = client(facade);
		// The endpoint fails once and would answer every request after that: only the
		// backoff keeps the callers off it.
		this.idp.failTokenRequests(1, 503, Map.of("Retry-After", "30"), "{\"error\":\"temporarily_unavailable\"}");
		int busy = 0;
		for (int i = 0; i < CALLS; i++) {
			Throwable failure = catchThrowable(() -> client.call("api", null));
			if (find(failure, TokenEndpointBusyException.class) != null) {
				busy++;
			}
		}
		int requests = this.idp.tokenRequests();
		figure("503 + Retry-After: 30", facade, requests);
		// One after the other on a clock that stands still: only the first call asks.
		assertThat(requests).isOne();
		assertThat(busy).isEqualTo(CALLS);
		assertThat(this.idp.apiCalls()).isZero();
		assertThat(client.endpointsInBackoff()).isOne();
		assertThat(this.skips.of(TokenCacheListener.SkipReason.BUSY)).isEqualTo(CALLS - requests);
		this.clock.advance(Duration.ofSeconds(29));
		assertThat(find(catchThrowable(() -> client.call("api", null)), TokenEndpointBusyException.class))
			.as("a second before the instant").isNotNull();
		this.clock.advance(Duration.ofSeconds(1));
		client.call("api", null);
		assertThat(this.idp.apiCalls()).isOne();
		assertThat(this.idp.tokenRequests()).isEqualTo(requests + 1);
		assertThat(client.endpointsInBackoff()).isZero();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void afterInvalidClientCallersFailAtOnceForAShortBackoffInsteadOfOneTokenRequestPerCall(Facade facade) {
		Client client = client(facade);
		this.idp.failTokenRequests(Integer.MAX_VALUE, 401, "invalid_client");
		int rejected = 0;
		for (int i = 0; i < CALLS; i++) {
			Throwable failure = catchThrowable(() -> client.call("api", null));
			OAuth2AuthorizationException error = find(failure, OAuth2AuthorizationException.class);
			if (error != null && "invalid_client".equals(error.getError().getErrorCode())) {
				rejected++;
			}
		}
		int requests = this.idp.tokenRequests();
		figure("401 invalid_client", facade, requests);
		assertThat(requests).isOne();
		assertThat(rejected).isEqualTo(CALLS);
		assertThat(this.skips.of(TokenCacheListener.SkipReason.REJECTED)).isEqualTo(CALLS - requests);
		// The secret is fixed: once the short backoff (at most 1 s at first) has passed, the
		// next call gets a token.
		this.idp.failTokenRequests(0);
		this.clock.advance(Duration.ofMillis(TokenEndpointBackoff.FIRST_REJECTED_MILLIS));
		client.call("api", null);
		assertThat(this.idp.apiCalls()).isOne();
	}

	@ParameterizedTest
	@EnumSource(Facade.class)
	void aThousandUsersOfATokenExchangeDuringAnOutageMakeAHandfulOfTokenRequests(Facade facade) {
		Client client = client(facade);
		this.idp.failTokenRequests(Integer.MAX_VALUE, 503, "temporarily_unavailable");
		int failed = 0;
		for (int i = 0; i < USERS; i++) {
			Authentication user = user(i);
			if (catchThrowable(() -> client.call("exchange", user)) != null) {
				failed++;
			}
		}
		int requests = this.idp.tokenRequests();
		figure(USERS + " token-exchange users, 503 without Retry-After", facade, requests);
		assertThat(failed).isEqualTo(USERS);
		assertThat(requests).isOne();
		assertThat(this.skips.of(TokenCacheListener.SkipReason.UNAVAILABLE)).isEqualTo(USERS - requests);
		// The identity provider is back: the first success ends the backoff.
		this.idp.failTokenRequests(0);
		this.clock.advance(Duration.ofMillis(TokenEndpointBackoff.MAX_BACKOFF_MILLIS));
		client.call("exchange", user(0));
		client.call("exchange", user(1));
		assertThat(this.idp.apiCalls()).isEqualTo(2);
		assertThat(client.endpointsInBackoff()).isZero();
	}

	private static void figure(String failure, Facade facade, int requests) {
		System.out.printf("FIGURE token endpoint backoff: %s, %s: %d token requests%n", failure, facade, requests);
	}

	private static Authentication user(int i) {
		Jwt subject = Jwt.withTokenValue(TestIdentityProvider.unsignedJwt(Instant.now().plus(Duration.ofHours(1))))
			.header("alg", "none")
			.subject("user-" + i)
			.build();
		return new TestingAuthenticationToken(subject, null);
	}

	private static <T extends Throwable> @Nullable T find(@Nullable Throwable failure, Class<T> type) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return null;
	}

	private Client client(Facade facade) {
		return (facade == Facade.REST_CLIENT) ? restClient() : webClient();
	}

	private ClientRegistration[] registrations() {
		return new ClientRegistration[] { this.idp.registration("api", AuthorizationGrantType.CLIENT_CREDENTIALS),
				this.idp.registration("exchange", AuthorizationGrantType.TOKEN_EXCHANGE) };
	}

	private TokenEndpoint endpoint() {
		return new TokenEndpoint(new ExpiryResolvingTokenResponseConverter(
				new TokenLifetimeResolver(Duration.ofMinutes(5), Clock.systemUTC()), Clock.systemUTC()),
				Duration.ofSeconds(30), (registrationId) -> TokenEndpoint.ACCESS_TOKEN_TYPE, null);
	}

	private InMemoryTokenCache cache() {
		return new InMemoryTokenCache(8, 2 * USERS, Duration.ofSeconds(30), this.clock, this.nanos::get);
	}

	private Client restClient() {
		InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registrations());
		TokenEndpointClients clients = new TokenEndpointClients(endpoint());
		TokenExchangeOAuth2AuthorizedClientProvider tokenExchange = new TokenExchangeOAuth2AuthorizedClientProvider();
		tokenExchange.setAccessTokenResponseClient(clients.tokenExchange());
		AuthorizedClientServiceOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				registrations, new NoStoreOAuth2AuthorizedClientService());
		delegate.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder.accessTokenResponseClient(clients.clientCredentials()))
			.provider(tokenExchange)
			.build());
		CachingOAuth2AuthorizedClientManager manager = new CachingOAuth2AuthorizedClientManager(delegate,
				registrations, cache(), new DefaultTokenKeyResolver(),
				new TokenLifetimeResolver(Duration.ofMinutes(5), this.clock), this.clock);
		manager.setListener(this.skips);
		this.closeables.add(manager);
		RestClient client = RestClient.builder()
			.requestInterceptor(new TokenCacheClientHttpRequestInterceptor(manager, true))
			.build();
		return new Client() {

			@Override
			public void call(String registrationId, @Nullable Authentication principal) {
				client.get()
					.uri(TokenEndpointBackoffIT.this.idp.apiUri())
					.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId(registrationId))
					.attributes((attributes) -> {
						if (principal != null) {
							RequestAttributePrincipalResolver.principal(principal).accept(attributes);
						}
					})
					.retrieve()
					.toBodilessEntity();
			}

			@Override
			public int endpointsInBackoff() {
				return manager.tokenEndpointsInBackoff();
			}

		};
	}

	private Client webClient() {
		InMemoryReactiveClientRegistrationRepository registrations = new InMemoryReactiveClientRegistrationRepository(
				registrations());
		ReactiveTokenEndpointClients clients = new ReactiveTokenEndpointClients(endpoint());
		TokenExchangeReactiveOAuth2AuthorizedClientProvider tokenExchange = new TokenExchangeReactiveOAuth2AuthorizedClientProvider();
		tokenExchange.setAccessTokenResponseClient(clients.tokenExchange());
		AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager delegate = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
				registrations, new NoStoreReactiveOAuth2AuthorizedClientService());
		delegate.setAuthorizedClientProvider(ReactiveOAuth2AuthorizedClientProviderBuilder.builder()
			.clientCredentials((builder) -> builder.accessTokenResponseClient(clients.clientCredentials()))
			.provider(tokenExchange)
			.build());
		CachingReactiveOAuth2AuthorizedClientManager manager = new CachingReactiveOAuth2AuthorizedClientManager(
				delegate, registrations, new InMemoryReactiveTokenCache(cache()), new DefaultTokenKeyResolver(),
				new TokenLifetimeResolver(Duration.ofMinutes(5), this.clock), this.clock);
		manager.setListener(this.skips);
		this.closeables.add(manager);
		WebClient client = WebClient.builder().filter(new TokenCacheExchangeFilterFunction(manager, true)).build();
		return new Client() {

			@Override
			public void call(String registrationId, @Nullable Authentication principal) {
				client.get()
					.uri(TokenEndpointBackoffIT.this.idp.apiUri())
					.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId(registrationId))
					.attributes((attributes) -> {
						if (principal != null) {
							attributes.put(Authentication.class.getName(), principal);
						}
					})
					.retrieve()
					.toBodilessEntity()
					.block(WAIT);
			}

			@Override
			public int endpointsInBackoff() {
				return manager.tokenEndpointsInBackoff();
			}

		};
	}

	interface Client {

		void call(String registrationId, @Nullable Authentication principal);

		int endpointsInBackoff();

	}

	/**
	 * Counts the token requests the managers skipped, by reason.
	 */
	static final class Skips implements TokenCacheListener {

		private final Map<SkipReason, AtomicInteger> counts = new EnumMap<>(SkipReason.class);

		Skips() {
			for (SkipReason reason : SkipReason.values()) {
				this.counts.put(reason, new AtomicInteger());
			}
		}

		@Override
		public void tokenRequestSkipped(String registrationId, TokenKind kind, SkipReason reason) {
			this.counts.get(reason).incrementAndGet();
		}

		int of(SkipReason reason) {
			return this.counts.get(reason).get();
		}

	}

}
