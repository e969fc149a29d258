package dev.dexpace.tokencache.oauth2;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dexpace.tokencache.autoconfigure.ReactiveTokenCacheAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import dev.dexpace.tokencache.test.LoopbackServers;
import dev.dexpace.tokencache.test.SecretLeakDetector;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;
import org.springframework.security.oauth2.server.authorization.InMemoryOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.context.AuthorizationServerContext;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.OAuth2TokenFormat;
import org.springframework.security.oauth2.server.authorization.token.DefaultOAuth2TokenContext;
import org.springframework.security.oauth2.server.authorization.token.JwtGenerator;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenGenerator;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.client.RestClient;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token exchange end to end against a real Spring Authorization Server on a random port,
 * through the starter's RestClient and WebClient: 20 users of a resource server, each
 * represented by a {@link JwtAuthenticationToken} whose {@code Jwt} is an access token
 * that authorization server issued to the user, make three calls each to a downstream API
 * (a real HTTP server that verifies every token's signature against the authorization
 * server's JWK set and checks that it was exchanged for the calling user).
 * <p>
 * Spring Authorization Server answers a request that repeats a form parameter with
 * {@code 400 invalid_request}, as Keycloak does, so the token clients must send
 * {@code subject_token_type} once, with the configured {@code …:access_token} replacing
 * Spring Security's {@code …:jwt}.
 * <p>
 * The users' own access tokens are issued in process by the authorization server's token
 * generator and saved in its authorization service, the steps its authorization code grant
 * takes once a user has logged in, without driving a browser login for every user.
 */
class TokenExchangeAuthorizationServerIT {

	private static final int USERS = 20;

	private static final int CALLS_PER_USER = 3;

	private static final Duration WAIT = Duration.ofSeconds(60);

	private static final String SCOPE = "api.read";

	private static final String WEB_APP = "web-app";

	private static final String EXCHANGER = "exchanger";

	private static final String EXCHANGER_SECRET = "exchanger-secret";

	private static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

	private static ConfigurableApplicationContext authorizationServer;

	private static String issuer;

	private static JwtDecoder resourceServerDecoder;

	private static DownstreamApi api;

	@BeforeAll
	static void startTheAuthorizationServerAndTheApi() throws IOException {
		// Spring Boot would otherwise reconfigure Logback, and the test run's leak watch with it.
		authorizationServer = LoopbackServers.start(AuthorizationServer.class);
		issuer = LoopbackServers.baseUri(authorizationServer);
		resourceServerDecoder = NimbusJwtDecoder.withJwkSetUri(issuer + "/oauth2/jwks").build();
		api = new DownstreamApi(resourceServerDecoder);
	}

	@AfterAll
	static void stop() {
		if (api != null) {
			api.close();
		}
		if (authorizationServer != null) {
			authorizationServer.close();
		}
	}

	@BeforeEach
	@AfterEach
	void reset() {
		tokenEndpoint().reset();
		api.reset();
	}

	@Test
	void twentyUsersOfTheRestClientGetOneExchangedTokenEachAndNeverAnotherUsersToken() throws Exception {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.withPropertyValues(registrationProperties())
			.run((context) -> {
				RestClient client = context.getBean(RestClient.Builder.class).build();
				List<User> users = users();
				List<Callable<Void>> calls = new ArrayList<>();
				for (int round = 0; round < CALLS_PER_USER; round++) {
					for (User user : users) {
						calls.add(() -> {
							client.get()
								.uri(api.uri())
								.header(DownstreamApi.USER_HEADER, user.name())
								.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("exchange"))
								.attributes(RequestAttributePrincipalResolver.principal(user.authentication()))
								.retrieve()
								.toBodilessEntity();
							return null;
						});
					}
				}
				List<Throwable> failures = new ArrayList<>();
				ExecutorService executor = Executors.newFixedThreadPool(8);
				try {
					for (Future<Void> call : executor.invokeAll(calls)) {
						try {
							call.get(WAIT.toSeconds(), TimeUnit.SECONDS);
						}
						catch (java.util.concurrent.ExecutionException ex) {
							failures.add(ex.getCause());
						}
					}
				}
				finally {
					executor.shutdownNow();
				}
				assertThat(failures).as("failed calls").isEmpty();
				assertOneExchangedTokenPerUser(users);
			});
	}

	@Test
	void twentyUsersOfTheWebClientGetOneExchangedTokenEachAndNeverAnotherUsersToken() {
		new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
					WebClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
					ReactiveTokenCacheAutoConfiguration.class))
			.withPropertyValues(registrationProperties())
			.run((context) -> {
				WebClient client = context.getBean(WebClient.Builder.class).build();
				List<User> users = users();
				List<User> calls = new ArrayList<>();
				for (int round = 0; round < CALLS_PER_USER; round++) {
					calls.addAll(users);
				}
				List<Throwable> failures = new CopyOnWriteArrayList<>();
				Flux.fromIterable(calls)
					.flatMap((user) -> client.get()
						.uri(api.uri())
						.header(DownstreamApi.USER_HEADER, user.name())
						.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("exchange"))
						.retrieve()
						.toBodilessEntity()
						.contextWrite(ReactiveSecurityContextHolder.withAuthentication(user.authentication()))
						.onErrorResume((ex) -> {
							failures.add(ex);
							return Mono.empty();
						}), 8)
					.blockLast(WAIT);
				assertThat(failures).as("failed calls").isEmpty();
				assertOneExchangedTokenPerUser(users);
			});
	}

	private static void assertOneExchangedTokenPerUser(List<User> users) {
		TokenEndpointCounter tokenEndpoint = tokenEndpoint();
		assertThat(tokenEndpoint.errors()).as("token requests the authorization server rejected").isZero();
		assertThat(tokenEndpoint.tokenExchangeRequests()).as("token-exchange requests").isEqualTo(USERS);
		assertThat(tokenEndpoint.subjectTokenTypes()).as("subject_token_type values of each request")
			.hasSize(USERS)
			.allSatisfy((values) -> assertThat(values).containsExactly(ACCESS_TOKEN_TYPE));
		assertThat(api.calls()).isEqualTo(USERS * CALLS_PER_USER);
		assertThat(api.rejections()).as("calls whose token was not exchanged for the calling user").isEmpty();
		assertThat(api.tokensByUser()).hasSize(USERS);
		for (User user : users) {
			assertThat(api.tokensByUser().get(user.name())).as("tokens " + user.name() + " sent").hasSize(1);
		}
		assertThat(api.tokensByUser().values().stream().flatMap(Set::stream).distinct()).hasSize(USERS);
	}

	private static String[] registrationProperties() {
		return new String[] { "spring.security.oauth2.client.registration.exchange.client-id=" + EXCHANGER,
				"spring.security.oauth2.client.registration.exchange.client-secret=" + EXCHANGER_SECRET,
				"spring.security.oauth2.client.registration.exchange.authorization-grant-type=urn:ietf:params:oauth:grant-type:token-exchange",
				"spring.security.oauth2.client.registration.exchange.scope=" + SCOPE,
				"spring.security.oauth2.client.registration.exchange.provider=sas",
				"spring.security.oauth2.client.provider.sas.token-uri=" + issuer + "/oauth2/token" };
	}

	/**
	 * Fresh users, each with an access token the authorization server issued for
	 * {@code web-app}, as a resource server sees them.
	 */
	private static List<User> users() {
		String run = UUID.randomUUID().toString().substring(0, 8);
		List<User> users = new ArrayList<>();
		for (int i = 0; i < USERS; i++) {
			String name = "user-" + run + "-" + i;
			Jwt jwt = resourceServerDecoder.decode(issueAccessToken(name));
			users.add(new User(name, new JwtAuthenticationToken(jwt, AuthorityUtils.NO_AUTHORITIES)));
		}
		return users;
	}

	/**
	 * Issue and store an access token for a logged-in user, as the authorization code
	 * grant of Spring Authorization Server does.
	 */
	private static String issueAccessToken(String username) {
		RegisteredClient webApp = authorizationServer.getBean(RegisteredClientRepository.class)
			.findByClientId(WEB_APP);
		OAuth2TokenGenerator<?> generator = authorizationServer.getBean(OAuth2TokenGenerator.class);
		Authentication user = UsernamePasswordAuthenticationToken.authenticated(username, null,
				AuthorityUtils.NO_AUTHORITIES);
		AuthorizationServerSettings settings = authorizationServer.getBean(AuthorizationServerSettings.class);
		AuthorizationServerContext serverContext = new AuthorizationServerContext() {

			@Override
			public String getIssuer() {
				return issuer;
			}

			@Override
			public AuthorizationServerSettings getAuthorizationServerSettings() {
				return settings;
			}

		};
		Jwt jwt = (Jwt) generator.generate(DefaultOAuth2TokenContext.builder()
			.registeredClient(webApp)
			.principal(user)
			.authorizationServerContext(serverContext)
			.authorizedScopes(Set.of(SCOPE))
			.tokenType(OAuth2TokenType.ACCESS_TOKEN)
			.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
			.build());
		OAuth2AccessToken accessToken = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, jwt.getTokenValue(),
				jwt.getIssuedAt(), jwt.getExpiresAt(), Set.of(SCOPE));
		authorizationServer.getBean(OAuth2AuthorizationService.class)
			.save(OAuth2Authorization.withRegisteredClient(webApp)
				.principalName(username)
				.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
				.authorizedScopes(Set.of(SCOPE))
				.attribute(Principal.class.getName(), user)
				.token(accessToken, (metadata) -> {
					metadata.put(OAuth2Authorization.Token.CLAIMS_METADATA_NAME, jwt.getClaims());
					metadata.put(OAuth2TokenFormat.class.getName(), OAuth2TokenFormat.SELF_CONTAINED.getValue());
				})
				.build());
		return jwt.getTokenValue();
	}

	private static TokenEndpointCounter tokenEndpoint() {
		return authorizationServer.getBean(TokenEndpointCounter.class);
	}

	private record User(String name, JwtAuthenticationToken authentication) {

	}

	/**
	 * Spring Authorization Server: {@code web-app}, the client the users logged in to, and
	 * {@code exchanger}, the client that exchanges their tokens (client_secret_basic).
	 */
	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	@ImportAutoConfiguration(TomcatServletWebServerAutoConfiguration.class)
	static class AuthorizationServer {

		@Bean
		SecurityFilterChain authorizationServerSecurityFilterChain(HttpSecurity http) {
			http.oauth2AuthorizationServer(
					(authorizationServer) -> http.securityMatcher(authorizationServer.getEndpointsMatcher()));
			http.authorizeHttpRequests((requests) -> requests.anyRequest().authenticated());
			return http.build();
		}

		@Bean
		InMemoryRegisteredClientRepository registeredClientRepository() {
			RegisteredClient webApp = RegisteredClient.withId(WEB_APP)
				.clientId(WEB_APP)
				.clientSecret("{noop}web-app-secret")
				.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
				.redirectUri("http://127.0.0.1/login/oauth2/code/web-app")
				.scope(SCOPE)
				.build();
			RegisteredClient exchanger = RegisteredClient.withId(EXCHANGER)
				.clientId(EXCHANGER)
				.clientSecret("{noop}" + EXCHANGER_SECRET)
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
				.authorizationGrantType(AuthorizationGrantType.TOKEN_EXCHANGE)
				.scope(SCOPE)
				.build();
			return new InMemoryRegisteredClientRepository(webApp, exchanger);
		}

		@Bean
		InMemoryOAuth2AuthorizationService authorizationService() {
			return new InMemoryOAuth2AuthorizationService();
		}

		@Bean
		JWKSource<SecurityContext> jwkSource() {
			return LoopbackServers.rsaJwkSource();
		}

		/**
		 * Spring Authorization Server's own JWT generator; every token it signs is watched
		 * for leaks into the log.
		 */
		@Bean
		OAuth2TokenGenerator<Jwt> tokenGenerator(JWKSource<SecurityContext> jwkSource) {
			JwtGenerator generator = new JwtGenerator(new NimbusJwtEncoder(jwkSource));
			return (context) -> {
				Jwt jwt = generator.generate(context);
				if (jwt != null) {
					SecretLeakDetector.watch(jwt.getTokenValue());
				}
				return jwt;
			};
		}

		@Bean
		AuthorizationServerSettings authorizationServerSettings() {
			return AuthorizationServerSettings.builder().build();
		}

		@Bean
		TokenEndpointCounter tokenEndpointCounter() {
			return new TokenEndpointCounter();
		}

		@Bean
		FilterRegistrationBean<TokenEndpointCounter> tokenEndpointCounterRegistration(TokenEndpointCounter counter) {
			return LoopbackServers.ahead(counter, "/oauth2/token");
		}

	}

	/**
	 * Counts the requests the token endpoint receives, the token-exchange ones and their
	 * {@code subject_token_type} values, and the requests it answers with an error.
	 */
	static final class TokenEndpointCounter extends OncePerRequestFilter {

		private final AtomicInteger tokenExchangeRequests = new AtomicInteger();

		private final AtomicInteger errors = new AtomicInteger();

		private final List<List<String>> subjectTokenTypes = new CopyOnWriteArrayList<>();

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			if (AuthorizationGrantType.TOKEN_EXCHANGE.getValue().equals(request.getParameter("grant_type"))) {
				this.tokenExchangeRequests.incrementAndGet();
				String[] types = request.getParameterValues("subject_token_type");
				this.subjectTokenTypes.add((types != null) ? Arrays.asList(types) : List.of());
			}
			chain.doFilter(request, response);
			if (response.getStatus() >= 400) {
				this.errors.incrementAndGet();
			}
		}

		int tokenExchangeRequests() {
			return this.tokenExchangeRequests.get();
		}

		int errors() {
			return this.errors.get();
		}

		List<List<String>> subjectTokenTypes() {
			return this.subjectTokenTypes;
		}

		void reset() {
			this.tokenExchangeRequests.set(0);
			this.errors.set(0);
			this.subjectTokenTypes.clear();
		}

	}

	/**
	 * The downstream API: accepts a call only with a token the authorization server
	 * signed, exchanged by {@code exchanger} (its audience), for the user the call names
	 * (its subject); records which tokens each user sent.
	 */
	static final class DownstreamApi implements AutoCloseable {

		static final String USER_HEADER = "X-User";

		private final HttpServer server;

		private final ExecutorService executor = Executors.newFixedThreadPool(8);

		private final JwtDecoder decoder;

		private final AtomicInteger calls = new AtomicInteger();

		private final List<String> rejections = new CopyOnWriteArrayList<>();

		private final Map<String, Set<String>> tokensByUser = new ConcurrentHashMap<>();

		DownstreamApi(JwtDecoder decoder) throws IOException {
			this.decoder = decoder;
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
			this.server.createContext("/api", this::handle);
			this.server.setExecutor(this.executor);
			this.server.start();
		}

		String uri() {
			return "http://127.0.0.1:" + this.server.getAddress().getPort() + "/api";
		}

		private void handle(HttpExchange exchange) throws IOException {
			try (exchange) {
				this.calls.incrementAndGet();
				String user = exchange.getRequestHeaders().getFirst(USER_HEADER);
				String authorization = exchange.getRequestHeaders().getFirst("Authorization");
				String token = (authorization != null && authorization.startsWith("Bearer "))
						? authorization.substring("Bearer ".length()) : null;
				String problem = problem(user, token);
				if (problem != null) {
					this.rejections.add(user + ": " + problem);
					respond(exchange, 403);
					return;
				}
				this.tokensByUser.computeIfAbsent(user, (name) -> ConcurrentHashMap.newKeySet()).add(token);
				respond(exchange, 200);
			}
		}

		private String problem(String user, String token) {
			if (token == null) {
				return "no bearer token";
			}
			Jwt jwt;
			try {
				jwt = this.decoder.decode(token);
			}
			catch (JwtException ex) {
				return "a token that does not verify";
			}
			if (!jwt.getAudience().contains(EXCHANGER)) {
				return "a token that was not exchanged (audience " + jwt.getAudience() + ")";
			}
			if (!jwt.getSubject().equals(user)) {
				return "the token of " + jwt.getSubject();
			}
			return null;
		}

		private static void respond(HttpExchange exchange, int status) throws IOException {
			byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Content-Type", "application/json");
			exchange.sendResponseHeaders(status, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		}

		int calls() {
			return this.calls.get();
		}

		List<String> rejections() {
			return this.rejections;
		}

		Map<String, Set<String>> tokensByUser() {
			return this.tokensByUser;
		}

		void reset() {
			this.calls.set(0);
			this.rejections.clear();
			this.tokensByUser.clear();
		}

		@Override
		public void close() {
			this.server.stop(0);
			this.executor.shutdownNow();
		}

	}

}
