package dev.dexpace.tokencache.test;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configuration.OAuth2AuthorizationServerConfiguration;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.OidcScopes;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A real OAuth2 / OpenID Connect identity provider for login tests: Spring Authorization
 * Server on embedded Tomcat at {@code http://localhost:<port>}, with its own form login
 * (user {@value #USERNAME}), authorization_code with PKCE, no consent page, rotating
 * refresh tokens, and a tiny API ({@code GET /api/me}) that validates the bearer JWT
 * against the server's keys and answers with its subject. It counts refresh_token grants.
 * <p>
 * Clients register after they start, when their redirect URIs are known.
 */
public final class LoginIdentityProvider implements AutoCloseable {

	/** The user who logs in. */
	public static final String USERNAME = "ada";

	/** The user's password. */
	public static final String PASSWORD = "correct horse";

	/** The scope of the API. */
	public static final String API_SCOPE = "api.read";

	private final ConfigurableApplicationContext context;

	private final String baseUri;

	/**
	 * Start the identity provider.
	 */
	public LoginIdentityProvider() {
		this.context = new SpringApplicationBuilder(IdentityProviderConfiguration.class)
			.properties("server.port=0", "server.address=localhost", "spring.main.banner-mode=off",
					// a client on another port of the same host must not share its cookie
					"server.servlet.session.cookie.name=IDP_SESSION")
			.run();
		this.baseUri = "http://localhost:" + this.context.getEnvironment().getProperty("local.server.port");
	}

	/**
	 * Return the issuer, which is also the base URI of every endpoint.
	 * @return the base URI
	 */
	public String issuer() {
		return this.baseUri;
	}

	/**
	 * Return the URI of the API that validates bearer tokens.
	 * @return the API URI
	 */
	public String apiUri() {
		return this.baseUri + "/api/me";
	}

	/**
	 * Register a confidential client for the authorization_code and refresh_token grants.
	 * @param clientId the client id
	 * @param clientSecret the client secret
	 * @param accessTokenTimeToLive the lifetime of its access tokens
	 * @param redirectUris its redirect URIs
	 */
	public void register(String clientId, String clientSecret, Duration accessTokenTimeToLive,
			String... redirectUris) {
		RegisteredClient client = RegisteredClient.withId(UUID.randomUUID().toString())
			.clientId(clientId)
			.clientSecret("{noop}" + clientSecret)
			.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
			.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
			.authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
			.redirectUris((uris) -> uris.addAll(Arrays.asList(redirectUris)))
			.scope(OidcScopes.OPENID)
			.scope(API_SCOPE)
			.clientSettings(ClientSettings.builder().requireProofKey(true).requireAuthorizationConsent(false).build())
			.tokenSettings(TokenSettings.builder()
				.accessTokenTimeToLive(accessTokenTimeToLive)
				.reuseRefreshTokens(false)
				.build())
			.build();
		this.context.getBean(InMemoryRegisteredClientRepository.class).save(client);
	}

	/**
	 * Return how many refresh_token grants the token endpoint has received.
	 * @return the number of refresh_token grants
	 */
	public int refreshGrants() {
		return this.context.getBean(GrantCounter.class).refreshGrants.get();
	}

	@Override
	public void close() {
		this.context.close();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	@ImportAutoConfiguration({ TomcatServletWebServerAutoConfiguration.class,
			DispatcherServletAutoConfiguration.class, WebMvcAutoConfiguration.class,
			HttpMessageConvertersAutoConfiguration.class, SecurityFilterAutoConfiguration.class })
	static class IdentityProviderConfiguration {

		@Bean
		@Order(1)
		SecurityFilterChain authorizationServerSecurityFilterChain(HttpSecurity http) {
			http.oauth2AuthorizationServer((server) -> {
				http.securityMatcher(server.getEndpointsMatcher());
				server.oidc(Customizer.withDefaults());
			});
			http.authorizeHttpRequests((requests) -> requests.anyRequest().authenticated());
			// an unauthenticated authorization request goes to the form login
			http.exceptionHandling((exceptions) -> exceptions.authenticationEntryPoint(
					new LoginUrlAuthenticationEntryPoint("/login")));
			return http.build();
		}

		@Bean
		@Order(2)
		SecurityFilterChain loginSecurityFilterChain(HttpSecurity http) {
			http.authorizeHttpRequests(
					(requests) -> requests.requestMatchers("/api/**").permitAll().anyRequest().authenticated());
			http.formLogin(Customizer.withDefaults());
			return http.build();
		}

		@Bean
		InMemoryUserDetailsManager users() {
			return new InMemoryUserDetailsManager(
					User.withUsername(USERNAME).password("{noop}" + PASSWORD).roles("USER").build());
		}

		@Bean
		InMemoryRegisteredClientRepository registeredClientRepository() {
			// a placeholder: the repository needs one client; the tests register theirs
			return new InMemoryRegisteredClientRepository(RegisteredClient.withId("placeholder")
				.clientId("placeholder")
				.clientSecret("{noop}" + UUID.randomUUID())
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.build());
		}

		@Bean
		JWKSource<SecurityContext> jwkSource() {
			return LoopbackServers.rsaJwkSource();
		}

		@Bean
		JwtDecoder jwtDecoder(JWKSource<SecurityContext> jwkSource) {
			return OAuth2AuthorizationServerConfiguration.jwtDecoder(jwkSource);
		}

		@Bean
		AuthorizationServerSettings authorizationServerSettings() {
			return AuthorizationServerSettings.builder().build();
		}

		@Bean
		GrantCounter grantCounter() {
			return new GrantCounter();
		}

		@Bean
		FilterRegistrationBean<GrantCounter> grantCounterRegistration(GrantCounter counter) {
			return LoopbackServers.ahead(counter, "/oauth2/token");
		}

		@Bean
		ApiController apiController(JwtDecoder jwtDecoder) {
			return new ApiController(jwtDecoder);
		}

	}

	/**
	 * Counts the refresh_token grants that reach the token endpoint.
	 */
	static final class GrantCounter extends OncePerRequestFilter {

		final AtomicInteger refreshGrants = new AtomicInteger();

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			if (AuthorizationGrantType.REFRESH_TOKEN.getValue().equals(request.getParameter("grant_type"))) {
				this.refreshGrants.incrementAndGet();
			}
			chain.doFilter(request, response);
		}

	}

	/**
	 * The API: validates the bearer JWT (signature, issuer-independent timestamps with
	 * Spring's default skew) and answers with its subject and sorted scopes.
	 */
	@RestController
	static final class ApiController {

		private final JwtDecoder jwtDecoder;

		ApiController(JwtDecoder jwtDecoder) {
			this.jwtDecoder = jwtDecoder;
		}

		@GetMapping("/api/me")
		ResponseEntity<String> me(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String header) {
			if (header == null || !header.startsWith("Bearer ")) {
				return ResponseEntity.status(HttpStatus.UNAUTHORIZED).build();
			}
			try {
				var jwt = this.jwtDecoder.decode(header.substring("Bearer ".length()));
				return ResponseEntity.ok(jwt.getSubject() + " " + new TreeSet<>(jwt.getClaimAsStringList("scope")));
			}
			catch (JwtException ex) {
				return ResponseEntity.status(HttpStatus.UNAUTHORIZED).build();
			}
		}

	}

}
