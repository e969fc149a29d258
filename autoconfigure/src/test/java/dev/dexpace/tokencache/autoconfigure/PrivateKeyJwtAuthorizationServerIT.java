package dev.dexpace.tokencache.autoconfigure;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.sun.net.httpserver.HttpServer;
import dev.dexpace.tokencache.test.LoopbackServers;
import dev.dexpace.tokencache.test.TestCertificates;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.filter.OncePerRequestFilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code private_key_jwt} (RFC 7523) against a real Spring Authorization Server, which
 * verifies the client assertion against the client's JWK set: the starter signs with the
 * key of an SSL bundle; a wrong key is answered {@code invalid_client}, once; a key that
 * cannot sign with the configured algorithm stops start-up.
 */
class PrivateKeyJwtAuthorizationServerIT {

	private static final String CLIENT = "signer";

	private static final String HMAC_CLIENT = "hmac-signer";

	// HS256 needs a secret of at least 256 bits
	private static final String HMAC_SECRET = "a-client-secret-of-at-least-thirty-two-bytes";

	private static final KeyPair clientKeys = TestCertificates.rsa();

	private static final TestCertificates.Issued clientKey = TestCertificates.selfSigned(CLIENT, clientKeys);

	private static final TestCertificates.Issued wrongKey = TestCertificates.selfSigned(CLIENT,
			TestCertificates.rsa());

	private static HttpServer jwks;

	private static ConfigurableApplicationContext authorizationServer;

	private static String issuer;

	@BeforeAll
	static void start() throws IOException {
		jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
		byte[] jwkSet = new JWKSet(new RSAKey.Builder((RSAPublicKey) clientKeys.getPublic()).keyID("signer-key").build())
			.toString()
			.getBytes(StandardCharsets.UTF_8);
		jwks.createContext("/jwks", (exchange) -> {
			try (exchange) {
				exchange.getResponseHeaders().set("Content-Type", "application/json");
				exchange.sendResponseHeaders(200, jwkSet.length);
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(jwkSet);
				}
			}
		});
		jwks.start();
		authorizationServer = LoopbackServers.start(AuthorizationServer.class,
				"jwks.uri=http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks");
		issuer = LoopbackServers.baseUri(authorizationServer);
	}

	@AfterAll
	static void stop() {
		if (authorizationServer != null) {
			authorizationServer.close();
		}
		if (jwks != null) {
			jwks.stop(0);
		}
	}

	@BeforeEach
	void reset() {
		authorizationServer.getBean(TokenRequests.class).count.set(0);
	}

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, HttpClientAutoConfiguration.class,
				OAuth2ClientAutoConfiguration.class, TokenCacheAutoConfiguration.class));

	private ApplicationContextRunner withKey(TestCertificates.Issued key) {
		return this.contextRunner.withPropertyValues(
				"spring.security.oauth2.client.registration.sas.client-id=" + CLIENT,
				"spring.security.oauth2.client.registration.sas.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.sas.client-authentication-method=private_key_jwt",
				"spring.security.oauth2.client.registration.sas.scope=api.read",
				"spring.security.oauth2.client.registration.sas.provider=sas",
				"spring.security.oauth2.client.provider.sas.token-uri=" + issuer + "/oauth2/token",
				"spring.ssl.bundle.pem.signing.keystore.certificate=" + key.certificatePem(),
				"spring.ssl.bundle.pem.signing.keystore.private-key=" + key.privateKeyPem(),
				"dexpace.token-cache.registration.sas.client-assertion.ssl-bundle=signing",
				"dexpace.token-cache.registration.sas.client-assertion.key-id=signer-key");
	}

	private static OAuth2AuthorizeRequest authorize() {
		return OAuth2AuthorizeRequest.withClientRegistrationId("sas")
			.principal(new AnonymousAuthenticationToken("key", "anonymous",
					AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS")))
			.build();
	}

	private static int tokenRequests() {
		return authorizationServer.getBean(TokenRequests.class).count.get();
	}

	@Test
	void theStarterAuthenticatesWithTheKeyOfAnSslBundleAndCachesTheToken() {
		withKey(clientKey).run((context) -> {
			OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
			OAuth2AuthorizedClient first = manager.authorize(authorize());
			OAuth2AuthorizedClient second = manager.authorize(authorize());
			assertThat(first.getAccessToken().getTokenValue()).isEqualTo(second.getAccessToken().getTokenValue());
			assertThat(tokenRequests()).isEqualTo(1);
		});
	}

	@Test
	void aWrongKeyFailsWithInvalidClientOnceAndIsNotRetried() {
		withKey(wrongKey).run((context) -> {
			OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
			assertThatExceptionOfType(OAuth2AuthorizationException.class)
				.isThrownBy(() -> manager.authorize(authorize()))
				.satisfies((ex) -> assertThat(ex.getError().getErrorCode()).isEqualTo("invalid_client"));
			assertThat(tokenRequests()).isEqualTo(1);
		});
	}

	@Test
	void aKeyThatCannotSignWithTheAlgorithmStopsStartUpNamingTheProperty() {
		withKey(clientKey).withPropertyValues("dexpace.token-cache.registration.sas.client-assertion.algorithm=ES256")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.sas.client-assertion.algorithm"));
	}

	@Test
	void privateKeyJwtWithoutABundleStopsStartUpNamingTheProperty() {
		withKey(clientKey).withPropertyValues("dexpace.token-cache.registration.sas.client-assertion.ssl-bundle=")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.sas.client-assertion.ssl-bundle"));
	}

	@Test
	void clientSecretJwtSignsWithTheClientSecretAndCachesTheToken() {
		withSecret(HMAC_SECRET).run((context) -> {
			OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
			OAuth2AuthorizedClient first = manager.authorize(authorize("hmac"));
			OAuth2AuthorizedClient second = manager.authorize(authorize("hmac"));
			assertThat(first.getAccessToken().getTokenValue()).isEqualTo(second.getAccessToken().getTokenValue());
			assertThat(tokenRequests()).isEqualTo(1);
		});
	}

	@Test
	void clientSecretJwtWithAWrongSecretFailsWithInvalidClientOnce() {
		withSecret("another-secret-that-is-long-enough-for-hs256").run((context) -> {
			OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
			assertThatExceptionOfType(OAuth2AuthorizationException.class)
				.isThrownBy(() -> manager.authorize(authorize("hmac")))
				.satisfies((ex) -> assertThat(ex.getError().getErrorCode()).isEqualTo("invalid_client"));
			assertThat(tokenRequests()).isEqualTo(1);
		});
	}

	private ApplicationContextRunner withSecret(String secret) {
		return this.contextRunner.withPropertyValues(
				"spring.security.oauth2.client.registration.hmac.client-id=" + HMAC_CLIENT,
				"spring.security.oauth2.client.registration.hmac.client-secret=" + secret,
				"spring.security.oauth2.client.registration.hmac.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.hmac.client-authentication-method=client_secret_jwt",
				"spring.security.oauth2.client.registration.hmac.scope=api.read",
				"spring.security.oauth2.client.registration.hmac.provider=sas",
				"spring.security.oauth2.client.provider.sas.token-uri=" + issuer + "/oauth2/token");
	}

	private static OAuth2AuthorizeRequest authorize(String registrationId) {
		return OAuth2AuthorizeRequest.withClientRegistrationId(registrationId)
			.principal(new AnonymousAuthenticationToken("key", "anonymous",
					AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS")))
			.build();
	}

	/**
	 * Spring Authorization Server with one client that authenticates with
	 * private_key_jwt, its keys at a JWK set URL.
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
		InMemoryRegisteredClientRepository registeredClientRepository(
				org.springframework.core.env.Environment environment) {
			return new InMemoryRegisteredClientRepository(RegisteredClient.withId(CLIENT)
				.clientId(CLIENT)
				.clientAuthenticationMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT)
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.scope("api.read")
				.clientSettings(ClientSettings.builder()
					.jwkSetUrl(environment.getRequiredProperty("jwks.uri"))
					.tokenEndpointAuthenticationSigningAlgorithm(SignatureAlgorithm.RS256)
					.build())
				.build(),
					// client_secret_jwt: the server checks the HMAC with the secret as stored (no {noop})
					RegisteredClient.withId(HMAC_CLIENT)
						.clientId(HMAC_CLIENT)
						.clientSecret(HMAC_SECRET)
						.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_JWT)
						.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
						.scope("api.read")
						.clientSettings(ClientSettings.builder()
							.tokenEndpointAuthenticationSigningAlgorithm(MacAlgorithm.HS256)
							.build())
						.build());
		}

		@Bean
		JWKSource<SecurityContext> jwkSource() {
			return LoopbackServers.rsaJwkSource();
		}

		@Bean
		AuthorizationServerSettings authorizationServerSettings() {
			return AuthorizationServerSettings.builder().build();
		}

		@Bean
		TokenRequests tokenRequests() {
			return new TokenRequests();
		}

		@Bean
		FilterRegistrationBean<TokenRequests> tokenRequestsRegistration(TokenRequests counter) {
			return LoopbackServers.ahead(counter, "/oauth2/token");
		}

	}

	static final class TokenRequests extends OncePerRequestFilter {

		final AtomicInteger count = new AtomicInteger();

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			this.count.incrementAndGet();
			chain.doFilter(request, response);
		}

	}

}
