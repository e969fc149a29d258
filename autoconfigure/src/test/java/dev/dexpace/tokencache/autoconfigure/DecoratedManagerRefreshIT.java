package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.util.context.Context;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.InMemoryReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.AuthenticatedPrincipalOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.DefaultReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.server.AuthenticatedPrincipalServerOAuth2AuthorizedClientRepository;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The request-bound manager most applications declare (Spring Security's
 * {@code DefaultOAuth2AuthorizedClientManager}, or its reactive twin), decorated with the
 * cache: its background refreshes, which run outside any request, obtain a new token from
 * the real token endpoint, while request threads keep the current token without waiting
 * and never get one past the expiry buffer.
 */
class DecoratedManagerRefreshIT {

	// Tokens live 8 s and leave the cache 1 s before; the refresh is due between 2 s and
	// 1 s before that, so from 5 s to 6 s after the token was issued (real time).
	private static final Duration BUFFER = Duration.ofSeconds(1);

	private final TestIdentityProvider idp = new TestIdentityProvider().lifetime(Duration.ofSeconds(8));

	@AfterEach
	void stopIdp() {
		this.idp.close();
	}

	static Stream<Facade> facades() {
		return Stream.of(Facade.BLOCKING, Facade.REACTIVE);
	}

	@ParameterizedTest
	@MethodSource("facades")
	void aBackgroundRefreshOfARequestBoundManagerObtainsANewTokenWhileCallersKeepTheCurrentOne(Facade facade) {
		facade.run(this.idp, (manager) -> {
			List<OAuth2AuthorizedClient> served = new ArrayList<>();
			OAuth2AuthorizedClient first = manager.authorizeInRequest();
			served.add(first);
			String firstToken = first.getAccessToken().getTokenValue();
			assertThat(this.idp.tokenRequests()).isOne();
			CountDownLatch tokenResponses = this.idp.holdTokenResponses();
			try {
				// Every call returns at once with the current token: one that asked the held
				// endpoint would hang and fail the wait.
				await().atMost(Duration.ofSeconds(20)).until(() -> {
					OAuth2AuthorizedClient client = manager.authorizeInRequest();
					assertServable(client);
					served.add(client);
					assertThat(client.getAccessToken().getTokenValue()).isEqualTo(firstToken);
					return this.idp.tokenRequests() == 2;
				});
			}
			finally {
				tokenResponses.countDown();
			}
			await().atMost(Duration.ofSeconds(20)).until(() -> {
				OAuth2AuthorizedClient client = manager.authorizeInRequest();
				assertServable(client);
				return !client.getAccessToken().getTokenValue().equals(firstToken);
			});
			// The background refresh obtained the token: no caller asked after the first.
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	private static void assertServable(OAuth2AuthorizedClient client) {
		assertThat(client.getAccessToken().getExpiresAt()).isAfter(Instant.now().plus(BUFFER));
	}

	/**
	 * The decorated manager of one façade, called as from inside a request.
	 */
	interface Manager {

		OAuth2AuthorizedClient authorizeInRequest();

	}

	enum Facade {

		BLOCKING {
			@Override
			void run(TestIdentityProvider idp, Consumer<Manager> test) {
				TokenCacheContexts.runner(idp)
					.withPropertyValues(properties())
					.withUserConfiguration(ServletManagerConfiguration.class)
					.run((context) -> {
						OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
						assertThat(manager).isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
						test.accept(() -> {
							RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(
									new MockHttpServletRequest(), new MockHttpServletResponse()));
							try {
								return manager.authorize(request());
							}
							finally {
								RequestContextHolder.resetRequestAttributes();
							}
						});
					});
			}
		},

		REACTIVE {
			@Override
			void run(TestIdentityProvider idp, Consumer<Manager> test) {
				ReactiveTokenCacheContexts.reactiveRunner(idp)
					.withPropertyValues(properties())
					.withUserConfiguration(ReactiveManagerConfiguration.class)
					.run((context) -> {
						ReactiveOAuth2AuthorizedClientManager manager = context
							.getBean(ReactiveOAuth2AuthorizedClientManager.class);
						assertThat(manager).isInstanceOf(CachingReactiveOAuth2AuthorizedClientManager.class);
						Manager inExchange = () -> manager.authorize(request())
							.contextWrite(Context.of(ServerWebExchange.class,
									MockServerWebExchange.from(MockServerHttpRequest.get("/"))))
							.block(Duration.ofSeconds(20));
						// The first token comes from the user's manager, whose stock Spring
						// Security token client logs whole token responses at TRACE; the
						// refreshed one, from the starter's, is watched.
						idp.unwatched();
						inExchange.authorizeInRequest();
						idp.watched();
						test.accept(inExchange);
					});
			}
		};

		abstract void run(TestIdentityProvider idp, Consumer<Manager> test);

		static String[] properties() {
			return new String[] { "dexpace.token-cache.expiry-buffer=1s", "dexpace.token-cache.refresh-ahead=2s" };
		}

		static OAuth2AuthorizeRequest request() {
			return OAuth2AuthorizeRequest.withClientRegistrationId("api").principal("app").build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ServletManagerConfiguration {

		@Bean
		DefaultOAuth2AuthorizedClientManager authorizedClientManager(ClientRegistrationRepository registrations) {
			return new DefaultOAuth2AuthorizedClientManager(registrations,
					new AuthenticatedPrincipalOAuth2AuthorizedClientRepository(
							new InMemoryOAuth2AuthorizedClientService(registrations)));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ReactiveManagerConfiguration {

		@Bean
		DefaultReactiveOAuth2AuthorizedClientManager reactiveAuthorizedClientManager(
				ReactiveClientRegistrationRepository registrations) {
			return new DefaultReactiveOAuth2AuthorizedClientManager(registrations,
					new AuthenticatedPrincipalServerOAuth2AuthorizedClientRepository(
							new InMemoryReactiveOAuth2AuthorizedClientService(registrations)));
		}

	}

}
