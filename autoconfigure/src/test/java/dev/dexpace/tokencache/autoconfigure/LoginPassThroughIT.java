package dev.dexpace.tokencache.autoconfigure;

import java.io.IOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.test.LoginIdentityProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.servlet.OAuth2ClientWebSecurityAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.RefreshTokenOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.annotation.RegisteredOAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.oidc.authentication.event.OidcUserRefreshedEvent;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.HttpSessionOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.IdTokenClaimNames;
import org.springframework.security.oauth2.core.oidc.OidcScopes;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientResponseException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logins through a real Spring Authorization Server (authorization_code with PKCE, its
 * own form login, rotating refresh tokens) into a real client application on embedded
 * Tomcat with {@code oauth2Login()} and {@code oauth2Client()}: every scenario runs once
 * with the starter's auto-configuration and once without it, and must end the same way.
 * <p>
 * The client application declares a refresh_token provider whose clock skew (10 minutes)
 * is longer than the access tokens live (5 minutes), as Spring Security's default manager
 * honours: every use of a login's token is a refresh, deterministically, while the API
 * still accepts every token it sees.
 */
class LoginPassThroughIT {

	private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" type=\"hidden\" value=\"([^\"]+)\"");

	private static final AtomicInteger clients = new AtomicInteger();

	private static LoginIdentityProvider idp;

	@BeforeAll
	static void startIdentityProvider() {
		idp = new LoginIdentityProvider();
	}

	@AfterAll
	static void stopIdentityProvider() {
		if (idp != null) {
			idp.close();
		}
	}

	@Test
	void aLoginsTokenIsUsedAndRefreshedAsWithoutTheStarter() throws Exception {
		List<String> stock = loginScenario(false, false);
		assertThat(stock).containsExactly(EXPECTED_LOGIN);
		assertThat(loginScenario(true, false)).isEqualTo(stock);
	}

	@Test
	void aSessionRepositoryKeepsLoginClientsAsWithoutTheStarter() throws Exception {
		List<String> stock = loginScenario(false, true);
		assertThat(stock).containsExactly(EXPECTED_LOGIN);
		assertThat(loginScenario(true, true)).isEqualTo(stock);
	}

	@Test
	void anAnonymousUsersClientInTheSessionIsFoundAsWithoutTheStarter() throws Exception {
		List<String> stock = anonymousScenario(false);
		assertThat(stock).containsExactly("200 api=ada [api.read, openid] refreshes=1 access=new refresh=new",
				"200 api=ada [api.read, openid] refreshes=1 access=new refresh=new");
		assertThat(anonymousScenario(true)).isEqualTo(stock);
	}

	@Test
	void aJobOutsideARequestUsesTheLoginsClientFromTheAuthorizedClientService() throws Exception {
		// Spring Security's default manager needs a servlet request and fails here; the
		// starter serves a job as an AuthorizedClientServiceOAuth2AuthorizedClientManager
		// would: the login's client, refreshed.
		try (ClientApplication client = new ClientApplication(true, false)) {
			Session session = new Session();
			assertThat(session.login(client.uri("/hello")).statusCode()).isEqualTo(200);
			HttpResponse<String> job = session.get(client.uri("/job"));
			assertThat(job.statusCode()).isEqualTo(200);
			assertThat(job.body()).startsWith("api=ada [api.read, openid]");
		}
	}

	private static final String[] EXPECTED_LOGIN = {
			"200 api=ada [api.read, openid] refreshes=1 userRefreshes=1 access=new refresh=new",
			"200 api=ada [api.read, openid] refreshes=1 userRefreshes=1 access=new refresh=new",
			"200 api=ada [api.read, openid] refreshes=1 userRefreshes=1 access=new refresh=new" };

	/**
	 * Log in through {@code /hello} ({@code @RegisteredOAuth2AuthorizedClient}), call it
	 * again, then {@code /manager} (the manager bean with the servlet request).
	 */
	private List<String> loginScenario(boolean starter, boolean sessionRepository) throws Exception {
		try (ClientApplication client = new ClientApplication(starter, sessionRepository)) {
			Session session = new Session();
			List<String> outcomes = new ArrayList<>();
			Calls calls = new Calls(client);
			outcomes.add(calls.outcome(session.login(client.uri("/hello"))));
			outcomes.add(calls.outcome(session.get(client.uri("/hello"))));
			outcomes.add(calls.outcome(session.get(client.uri("/manager"))));
			return outcomes;
		}
	}

	/**
	 * An anonymous user authorizes the {@code anon} client through {@code oauth2Client()};
	 * Boot's repository keeps it in the HTTP session.
	 */
	private List<String> anonymousScenario(boolean starter) throws Exception {
		try (ClientApplication client = new ClientApplication(starter, false)) {
			Session session = new Session();
			List<String> outcomes = new ArrayList<>();
			Calls calls = new Calls(client);
			outcomes.add(calls.outcome(session.login(client.uri("/anon/hello")), false));
			outcomes.add(calls.outcome(session.get(client.uri("/anon/hello")), false));
			return outcomes;
		}
	}

	/**
	 * Turns responses into outcomes that compare across runs: no token values, only
	 * whether they changed, and the refresh_token grants and user refreshes each call
	 * caused.
	 */
	private static final class Calls {

		private final ClientApplication client;

		private int refreshGrants = idp.refreshGrants();

		private int userRefreshes;

		private String lastAccess = "";

		private String lastRefresh = "";

		Calls(ClientApplication client) {
			this.client = client;
		}

		String outcome(HttpResponse<String> response) {
			return outcome(response, true);
		}

		String outcome(HttpResponse<String> response, boolean withUserRefreshes) {
			int grants = idp.refreshGrants();
			int users = this.client.userRefreshes();
			StringBuilder outcome = new StringBuilder().append(response.statusCode());
			Matcher matcher = Pattern.compile("^(api=.*) access=(\\w+) refresh=(\\w+)$").matcher(response.body());
			if (matcher.matches()) {
				outcome.append(' ').append(matcher.group(1)).append(" refreshes=").append(grants - this.refreshGrants);
				if (withUserRefreshes) {
					outcome.append(" userRefreshes=").append(users - this.userRefreshes);
				}
				outcome.append(" access=").append(matcher.group(2).equals(this.lastAccess) ? "same" : "new");
				outcome.append(" refresh=").append(matcher.group(3).equals(this.lastRefresh) ? "same" : "new");
				this.lastAccess = matcher.group(2);
				this.lastRefresh = matcher.group(3);
			}
			else {
				outcome.append(' ').append(response.uri().getPath());
			}
			this.refreshGrants = grants;
			this.userRefreshes = users;
			return outcome.toString();
		}

	}

	/**
	 * A browser: keeps cookies, follows redirects, and fills in the identity provider's
	 * login form when it meets it.
	 */
	private static final class Session {

		private final HttpClient http = HttpClient.newBuilder()
			.cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
			.followRedirects(HttpClient.Redirect.NORMAL)
			.connectTimeout(Duration.ofSeconds(10))
			.build();

		HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
			return this.http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
					HttpResponse.BodyHandlers.ofString());
		}

		HttpResponse<String> login(URI uri) throws IOException, InterruptedException {
			HttpResponse<String> page = get(uri);
			assertThat(page.uri().toString()).isEqualTo(idp.issuer() + "/login");
			Matcher csrf = CSRF.matcher(page.body());
			assertThat(csrf.find()).as("the login form has a CSRF token").isTrue();
			String form = "username=" + encode(LoginIdentityProvider.USERNAME) + "&password="
					+ encode(LoginIdentityProvider.PASSWORD) + "&_csrf=" + encode(csrf.group(1));
			return this.http.send(HttpRequest.newBuilder(page.uri())
				.timeout(Duration.ofSeconds(60))
				.header("Content-Type", "application/x-www-form-urlencoded")
				.POST(HttpRequest.BodyPublishers.ofString(form))
				.build(), HttpResponse.BodyHandlers.ofString());
		}

		private static String encode(String value) {
			return URLEncoder.encode(value, StandardCharsets.UTF_8);
		}

	}

	/**
	 * The client application, with or without the starter's auto-configuration.
	 */
	private static final class ClientApplication implements AutoCloseable {

		private final ConfigurableApplicationContext context;

		private final String baseUri;

		ClientApplication(boolean starter, boolean sessionRepository) {
			String clientId = "client-" + clients.incrementAndGet();
			List<Class<?>> sources = new ArrayList<>(List.of(ClientConfiguration.class));
			if (starter) {
				sources.add(TokenCacheConfiguration.class);
			}
			if (sessionRepository) {
				sources.add(SessionRepositoryConfiguration.class);
			}
			this.context = new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
				.properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
						"test.client-id=" + clientId, "test.issuer=" + idp.issuer(), "test.api=" + idp.apiUri())
				.run();
			this.baseUri = "http://127.0.0.1:" + this.context.getEnvironment().getProperty("local.server.port");
			idp.register(clientId, clientId + "-secret", Duration.ofMinutes(5),
					this.baseUri + "/login/oauth2/code/login", this.baseUri + "/authorized/anon");
			Class<?> expected = starter ? CachingOAuth2AuthorizedClientManager.class
					: DefaultOAuth2AuthorizedClientManager.class;
			assertThat(this.context.getBean(OAuth2AuthorizedClientManager.class)).isInstanceOf(expected);
		}

		URI uri(String path) {
			return URI.create(this.baseUri + path);
		}

		int userRefreshes() {
			return this.context.getBean(ClientConfiguration.class).userRefreshes.get();
		}

		@Override
		public void close() {
			this.context.close();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	@ImportAutoConfiguration({ TomcatServletWebServerAutoConfiguration.class,
			DispatcherServletAutoConfiguration.class, WebMvcAutoConfiguration.class,
			HttpMessageConvertersAutoConfiguration.class, SecurityFilterAutoConfiguration.class,
			OAuth2ClientAutoConfiguration.class, OAuth2ClientWebSecurityAutoConfiguration.class })
	static class ClientConfiguration {

		final AtomicInteger userRefreshes = new AtomicInteger();

		@Bean
		SecurityFilterChain securityFilterChain(HttpSecurity http) {
			http.authorizeHttpRequests(
					(requests) -> requests.requestMatchers("/anon/**").permitAll().anyRequest().authenticated());
			// two registrations: send users to the login one rather than to a choice
			http.oauth2Login((login) -> login.loginPage("/oauth2/authorization/login"));
			http.oauth2Client(Customizer.withDefaults());
			return http.build();
		}

		@Bean
		InMemoryClientRegistrationRepository clientRegistrationRepository(Environment environment) {
			return new InMemoryClientRegistrationRepository(registration("login", environment),
					registration("anon", environment));
		}

		private static ClientRegistration registration(String id, Environment environment) {
			String issuer = environment.getRequiredProperty("test.issuer");
			return ClientRegistration.withRegistrationId(id)
				.clientId(environment.getRequiredProperty("test.client-id"))
				.clientSecret(environment.getRequiredProperty("test.client-id") + "-secret")
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
				.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
				.redirectUri(id.equals("login") ? "{baseUrl}/login/oauth2/code/{registrationId}"
						: "{baseUrl}/authorized/anon")
				.scope(OidcScopes.OPENID, LoginIdentityProvider.API_SCOPE)
				.authorizationUri(issuer + "/oauth2/authorize")
				.tokenUri(issuer + "/oauth2/token")
				.jwkSetUri(issuer + "/oauth2/jwks")
				.issuerUri(issuer)
				.userNameAttributeName(IdTokenClaimNames.SUB)
				.clientSettings(ClientRegistration.ClientSettings.builder().requireProofKey(true).build())
				.build();
		}

		@Bean
		RefreshTokenOAuth2AuthorizedClientProvider refreshTokenProvider() {
			RefreshTokenOAuth2AuthorizedClientProvider provider = new RefreshTokenOAuth2AuthorizedClientProvider();
			provider.setClockSkew(Duration.ofMinutes(10));
			return provider;
		}

		@EventListener
		void userRefreshed(OidcUserRefreshedEvent event) {
			this.userRefreshes.incrementAndGet();
		}

		@Bean
		ClientController clientController(ObjectProvider<OAuth2AuthorizedClientManager> manager,
				Environment environment) {
			return new ClientController(manager, environment.getRequiredProperty("test.api"));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ TokenCacheAutoConfiguration.class, ReactiveTokenCacheAutoConfiguration.class })
	static class TokenCacheConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	static class SessionRepositoryConfiguration {

		@Bean
		HttpSessionOAuth2AuthorizedClientRepository authorizedClientRepository() {
			return new HttpSessionOAuth2AuthorizedClientRepository();
		}

	}

	@RestController
	static class ClientController {

		private final RestClient api = RestClient.create();

		private final ObjectProvider<OAuth2AuthorizedClientManager> manager;

		private final String apiUri;

		ClientController(ObjectProvider<OAuth2AuthorizedClientManager> manager, String apiUri) {
			this.manager = manager;
			this.apiUri = apiUri;
		}

		@GetMapping("/hello")
		String hello(@RegisteredOAuth2AuthorizedClient("login") OAuth2AuthorizedClient client) {
			return call(client);
		}

		@GetMapping("/anon/hello")
		String anonymous(@RegisteredOAuth2AuthorizedClient("anon") OAuth2AuthorizedClient client) {
			return call(client);
		}

		@GetMapping("/manager")
		String manager(Authentication authentication) {
			// the servlet request is bound to this thread, as for any RestClient call a
			// controller makes
			return call(this.manager.getObject()
				.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login").principal(authentication).build()));
		}

		@GetMapping("/job")
		String job(Authentication authentication) throws Exception {
			// another thread, no servlet request: a scheduled job acting for the user
			return CompletableFuture
				.supplyAsync(() -> call(this.manager.getObject()
					.authorize(OAuth2AuthorizeRequest.withClientRegistrationId("login")
						.principal(authentication)
						.build())))
				.get(60, TimeUnit.SECONDS);
		}

		private String call(OAuth2AuthorizedClient client) {
			Objects.requireNonNull(client, "no authorized client");
			String answer;
			try {
				answer = this.api.get()
					.uri(this.apiUri)
					.headers((headers) -> headers.setBearerAuth(client.getAccessToken().getTokenValue()))
					.retrieve()
					.body(String.class);
			}
			catch (RestClientResponseException ex) {
				answer = String.valueOf(ex.getStatusCode().value());
			}
			return "api=" + answer + " access=" + digest(client.getAccessToken().getTokenValue()) + " refresh="
					+ ((client.getRefreshToken() != null) ? digest(client.getRefreshToken().getTokenValue()) : "none");
		}

		private static String digest(String value) {
			try {
				byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
				return HexFormat.of().formatHex(hash, 0, 8);
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException(ex);
			}
		}

	}

}
