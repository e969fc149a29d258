package dev.dexpace.tokencache.oauth2;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.context.ApplicationContext;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.jwt.Jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * A token obtained by token exchange for a user never outlives the user's own token, on
 * the blocking and the reactive manager alike, against a real token endpoint.
 */
class SubjectExpiryIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void stopIdp() {
		this.idp.close();
	}

	static Stream<Facade> facades() {
		return Stream.of(Facade.BLOCKING, Facade.REACTIVE);
	}

	@ParameterizedTest
	@MethodSource("facades")
	void anExchangedTokenIsCachedNoLongerThanTheSubjectToken(Facade facade) {
		Instant subjectExpiry = Instant.now().plusSeconds(300).truncatedTo(ChronoUnit.SECONDS);
		Authentication user = user("alice", subjectExpiry);
		facade.run(this.idp, (manager) -> {
			OAuth2AuthorizedClient first = manager.authorize(user);
			// The identity provider issued a token for 600 s; the subject expires in 300 s.
			assertThat(first.getAccessToken().getExpiresAt()).isEqualTo(subjectExpiry);
			assertThat(manager.cache().get(manager.key(user)).expiresAt()).isEqualTo(subjectExpiry);
			assertThat(manager.authorize(user).getAccessToken().getTokenValue())
				.isEqualTo(first.getAccessToken().getTokenValue());
			assertThat(this.idp.tokenRequests()).isOne();
		});
	}

	@ParameterizedTest
	@MethodSource("facades")
	void anExpiredSubjectIsNeverServedNorCachedAToken(Facade facade) {
		Authentication user = user("bob", Instant.now().minusSeconds(1));
		facade.run(this.idp, (manager) -> {
			manager.authorize(user);
			manager.authorize(user);
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
			assertThat(manager.cache().size(TokenKind.USER)).isZero();
		});
	}

	@ParameterizedTest
	@MethodSource("facades")
	void anExpiredSubjectMakesNoTokenRequestWhileTheTokenEndpointIsBackedOffFrom(Facade facade) {
		Authentication user = user("carol", Instant.now().minusSeconds(1));
		facade.run(this.idp, (manager) -> {
			this.idp.failTokenRequests(1);
			assertThatException().isThrownBy(() -> manager.authorize(user));
			// The endpoint failed with an error that may heal: backed off from, as on a miss.
			assertThatException().isThrownBy(() -> manager.authorize(user));
			assertThat(this.idp.tokenRequests()).isOne();
			assertThat(manager.cache().size(TokenKind.USER)).isZero();
		});
	}

	private static Authentication user(String name, Instant subjectExpiry) {
		Jwt subject = Jwt.withTokenValue(TestIdentityProvider.unsignedJwt(subjectExpiry))
			.header("alg", "none")
			.subject(name)
			.issuedAt(subjectExpiry.minusSeconds(3600))
			.expiresAt(subjectExpiry)
			.build();
		return new TestingAuthenticationToken(subject, null);
	}

	/**
	 * The manager of one façade, seen through the operations the tests need.
	 */
	interface Manager {

		OAuth2AuthorizedClient authorize(Authentication principal);

		TokenKey key(Authentication principal);

		InMemoryTokenCache cache();

	}

	enum Facade {

		BLOCKING {
			@Override
			void run(TestIdentityProvider idp, Consumer<Manager> test) {
				TokenCacheContexts.runner(idp).run((context) -> {
					CachingOAuth2AuthorizedClientManager manager = (CachingOAuth2AuthorizedClientManager) context
						.getBean(OAuth2AuthorizedClientManager.class);
					test.accept(new Manager() {

						@Override
						public OAuth2AuthorizedClient authorize(Authentication principal) {
							return manager.authorize(request(principal));
						}

						@Override
						public TokenKey key(Authentication principal) {
							return new DefaultTokenKeyResolver().resolve(context
								.getBean(ClientRegistrationRepository.class)
								.findByRegistrationId("exchange"), principal);
						}

						@Override
						public InMemoryTokenCache cache() {
							return context.getBean(InMemoryTokenCache.class);
						}

					});
				});
			}
		},

		REACTIVE {
			@Override
			void run(TestIdentityProvider idp, Consumer<Manager> test) {
				ReactiveTokenCacheContexts.reactiveRunner(idp).run((context) -> {
					CachingReactiveOAuth2AuthorizedClientManager manager = (CachingReactiveOAuth2AuthorizedClientManager) context
						.getBean(ReactiveOAuth2AuthorizedClientManager.class);
					test.accept(new Manager() {

						@Override
						public OAuth2AuthorizedClient authorize(Authentication principal) {
							return manager.authorize(request(principal)).block(java.time.Duration.ofSeconds(20));
						}

						@Override
						public TokenKey key(Authentication principal) {
							return new DefaultTokenKeyResolver().resolve(context
								.getBean(ReactiveClientRegistrationRepository.class)
								.findByRegistrationId("exchange")
								.block(), principal);
						}

						@Override
						public InMemoryTokenCache cache() {
							return context.getBean(InMemoryTokenCache.class);
						}

					});
				});
			}
		};

		abstract void run(TestIdentityProvider idp, Consumer<Manager> test);

		private static OAuth2AuthorizeRequest request(Authentication principal) {
			return OAuth2AuthorizeRequest.withClientRegistrationId("exchange").principal(principal).build();
		}

	}

}
