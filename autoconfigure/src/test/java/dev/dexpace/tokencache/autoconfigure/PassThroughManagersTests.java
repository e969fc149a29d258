package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;
import reactor.util.context.Context;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.ClientAuthorizationRequiredException;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.endpoint.OAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.OAuth2RefreshTokenGrantRequest;
import org.springframework.security.oauth2.client.event.OAuth2AuthorizedClientRefreshedEvent;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.HttpSessionOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.server.WebSessionServerOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link PassThroughManagers}: requests the cache does not key (logins) reach
 * the manager Spring Security would have registered.
 */
class PassThroughManagersTests {

	private static final String[] LOGIN = { "spring.security.oauth2.client.registration.login.client-id=app",
			"spring.security.oauth2.client.registration.login.client-secret=secret",
			"spring.security.oauth2.client.registration.login.authorization-grant-type=authorization_code",
			"spring.security.oauth2.client.registration.login.redirect-uri=http://localhost/callback",
			"spring.security.oauth2.client.provider.login.authorization-uri=http://127.0.0.1:9/authorize",
			"spring.security.oauth2.client.provider.login.token-uri=http://127.0.0.1:9/token" };

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
				RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
		.withPropertyValues(LOGIN);

	private final Authentication alice = new TestingAuthenticationToken("alice", null, "ROLE_USER");

	@Test
	void aSessionRepositoryBeanKeepsTheClientsOfLogins() {
		this.contextRunner.withBean(HttpSessionOAuth2AuthorizedClientRepository.class).run((context) -> {
			MockHttpServletRequest request = new MockHttpServletRequest();
			MockHttpServletResponse response = new MockHttpServletResponse();
			context.getBean(HttpSessionOAuth2AuthorizedClientRepository.class)
				.saveAuthorizedClient(loginClient(context, "login-token", null), this.alice, request, response);
			OAuth2AuthorizedClient client = manager(context).authorize(OAuth2AuthorizeRequest
				.withClientRegistrationId("login")
				.principal(this.alice)
				.attribute(HttpServletRequest.class.getName(), request)
				.attribute(HttpServletResponse.class.getName(), response)
				.build());
			assertThat(client).isNotNull();
			assertThat(client.getAccessToken().getTokenValue()).isEqualTo("login-token");
		});
	}

	@Test
	void theServletRequestBoundToTheThreadIsUsedWhenTheAuthorizeRequestNamesNone() {
		this.contextRunner.withBean(HttpSessionOAuth2AuthorizedClientRepository.class).run((context) -> {
			MockHttpServletRequest request = new MockHttpServletRequest();
			MockHttpServletResponse response = new MockHttpServletResponse();
			context.getBean(HttpSessionOAuth2AuthorizedClientRepository.class)
				.saveAuthorizedClient(loginClient(context, "login-token", null), this.alice, request, response);
			RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request, response));
			try {
				OAuth2AuthorizedClient client = manager(context)
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(this.alice).build());
				assertThat(client).isNotNull();
				assertThat(client.getAccessToken().getTokenValue()).isEqualTo("login-token");
			}
			finally {
				RequestContextHolder.resetRequestAttributes();
			}
		});
	}

	@Test
	void anAnonymousUsersClientIsFoundInTheSessionWhereBootsDefaultRepositoryKeepsIt() {
		// No repository bean: the one oauth2Client() uses, over the service, which keeps an
		// anonymous user's clients in the HTTP session.
		this.contextRunner.run((context) -> {
			Authentication anonymous = new AnonymousAuthenticationToken("key", "anonymousUser",
					AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));
			MockHttpServletRequest request = new MockHttpServletRequest();
			MockHttpServletResponse response = new MockHttpServletResponse();
			new HttpSessionOAuth2AuthorizedClientRepository()
				.saveAuthorizedClient(loginClient(context, "anonymous-token", null), anonymous, request, response);
			RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request, response));
			try {
				OAuth2AuthorizedClient client = manager(context)
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(anonymous).build());
				assertThat(client).isNotNull();
				assertThat(client.getAccessToken().getTokenValue()).isEqualTo("anonymous-token");
			}
			finally {
				RequestContextHolder.resetRequestAttributes();
			}
		});
	}

	@Test
	void anExpiredLoginIsRefreshedByTheApplicationsRefreshTokenClientAndPublishesTheRefresh() {
		this.contextRunner.withBean(HttpSessionOAuth2AuthorizedClientRepository.class)
			.withUserConfiguration(RefreshTokenClientConfiguration.class)
			.run((context) -> {
				MockHttpServletRequest request = new MockHttpServletRequest();
				MockHttpServletResponse response = new MockHttpServletResponse();
				HttpSessionOAuth2AuthorizedClientRepository repository = context
					.getBean(HttpSessionOAuth2AuthorizedClientRepository.class);
				repository.saveAuthorizedClient(loginClient(context, "expired-token", "refresh-token"), this.alice,
						request, response);
				RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request, response));
				try {
					OAuth2AuthorizedClient client = manager(context).authorize(
							OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(this.alice).build());
					assertThat(client).isNotNull();
					assertThat(client.getAccessToken().getTokenValue()).isEqualTo("refreshed-token");
					OAuth2AuthorizedClient saved = repository.loadAuthorizedClient("login", this.alice, request);
					assertThat(saved.getRefreshToken().getTokenValue()).isEqualTo("rotated-refresh-token");
					assertThat(context.getBean(RefreshTokenClientConfiguration.class).refreshes).hasSize(1);
				}
				finally {
					RequestContextHolder.resetRequestAttributes();
				}
			});
	}

	@Test
	void outsideARequestWithoutAUniqueServiceALoginAsksForAnAuthorization() {
		// Two services: none is the one to use. The login grant's provider is still there
		// and answers as Spring Security does, rather than a silent null.
		this.contextRunner
			.withBean("first", OAuth2AuthorizedClientService.class,
					() -> new InMemoryOAuth2AuthorizedClientService((id) -> null))
			.withBean("second", OAuth2AuthorizedClientService.class,
					() -> new InMemoryOAuth2AuthorizedClientService((id) -> null))
			.run((context) -> assertThatExceptionOfType(ClientAuthorizationRequiredException.class)
				.isThrownBy(() -> manager(context)
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(this.alice).build())));
	}

	@Test
	void aServerRepositoryBeanKeepsTheClientsOfReactiveLogins() {
		new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
					WebClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class))
			.withPropertyValues(LOGIN)
			.withBean(WebSessionServerOAuth2AuthorizedClientRepository.class)
			.run((context) -> {
				ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
				ClientRegistration login = context
					.getBean(ReactiveClientRegistrationRepository.class)
					.findByRegistrationId("login")
					.block(Duration.ofSeconds(5));
				context.getBean(WebSessionServerOAuth2AuthorizedClientRepository.class)
					.saveAuthorizedClient(new OAuth2AuthorizedClient(login, "alice", accessToken("login-token")),
							this.alice, exchange)
					.block(Duration.ofSeconds(5));
				ReactiveOAuth2AuthorizedClientManager manager = context
					.getBean(ReactiveOAuth2AuthorizedClientManager.class);
				OAuth2AuthorizedClient named = manager
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login")
						.principal(this.alice)
						.attribute(ServerWebExchange.class.getName(), exchange)
						.build())
					.block(Duration.ofSeconds(5));
				assertThat(named.getAccessToken().getTokenValue()).isEqualTo("login-token");
				OAuth2AuthorizedClient fromContext = manager
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(this.alice).build())
					.contextWrite(Context.of(ServerWebExchange.class, exchange))
					.block(Duration.ofSeconds(5));
				assertThat(fromContext.getAccessToken().getTokenValue()).isEqualTo("login-token");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class RefreshTokenClientConfiguration {

		final List<OAuth2AuthorizedClientRefreshedEvent> refreshes = new CopyOnWriteArrayList<>();

		@Bean
		OAuth2AccessTokenResponseClient<OAuth2RefreshTokenGrantRequest> refreshTokenClient() {
			return (grant) -> OAuth2AccessTokenResponse.withToken("refreshed-token")
				.tokenType(OAuth2AccessToken.TokenType.BEARER)
				.expiresIn(600)
				.refreshToken("rotated-refresh-token")
				.build();
		}

		@EventListener
		void refreshed(OAuth2AuthorizedClientRefreshedEvent event) {
			this.refreshes.add(event);
		}

	}

	private static OAuth2AuthorizedClientManager manager(AssertableApplicationContext context) {
		return context.getBean(OAuth2AuthorizedClientManager.class);
	}

	private static OAuth2AuthorizedClient loginClient(AssertableApplicationContext context, String accessToken,
			String refreshToken) {
		ClientRegistration login = context.getBean(ClientRegistrationRepository.class).findByRegistrationId("login");
		OAuth2AccessToken token = (refreshToken != null)
				? new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, accessToken,
						Instant.now().minusSeconds(600), Instant.now().minusSeconds(300))
				: accessToken(accessToken);
		return new OAuth2AuthorizedClient(login, "alice", token,
				(refreshToken != null) ? new OAuth2RefreshToken(refreshToken, Instant.now()) : null);
	}

	private static OAuth2AccessToken accessToken(String value) {
		return new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, value, Instant.now(),
				Instant.now().plusSeconds(600));
	}

}
