package dev.dexpace.tokencache.dpop;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.SignedJWT;
import dev.dexpace.tokencache.autoconfigure.ReactiveTokenCacheAutoConfiguration;
import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import dev.dexpace.tokencache.test.LoopbackServers;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.oauth2.server.resource.OAuth2ResourceServerConfigurer;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.util.ReflectionUtils;
import org.springframework.web.client.RestClient;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DPoP end to end against Spring Authorization Server, which binds the token to the
 * proof's key ({@code cnf.jkt}) and answers {@code token_type=DPoP}, and a Spring
 * Security resource server in the same application that requires a valid proof for the
 * token ({@code ath}, {@code htm}, {@code htu}, a {@code jti} it has not seen). Both run
 * on a random port; the starter's RestClient and WebClient call the resource server from
 * 64 threads (subscribers) at once, cold.
 */
class DPoPAuthorizationServerIT {

	private static final int CALLERS = 64;

	private static final Duration WAIT = Duration.ofSeconds(60);

	private static final String CLIENT = "dpop-client";

	private static ConfigurableApplicationContext server;

	private static String baseUri;

	@BeforeAll
	static void startTheAuthorizationAndResourceServer() {
		server = LoopbackServers.start(Servers.class);
		baseUri = LoopbackServers.baseUri(server);
	}

	@AfterAll
	static void stop() {
		if (server != null) {
			server.close();
		}
	}

	@BeforeEach
	void reset() {
		recorder().reset();
	}

	@Test
	void sixtyFourColdRestClientCallersShareOneBoundTokenAndEachCallCarriesItsOwnProof() throws Exception {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.withPropertyValues(properties())
			.run((context) -> {
				RestClient client = context.getBean(RestClient.Builder.class).build();
				CyclicBarrier start = new CyclicBarrier(CALLERS);
				List<Callable<Integer>> calls = new ArrayList<>();
				for (int i = 0; i < CALLERS; i++) {
					int caller = i;
					calls.add(() -> {
						start.await(WAIT.toSeconds(), TimeUnit.SECONDS);
						return client.get()
							.uri(baseUri + "/api/orders/" + caller + "?page=1")
							.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("sas"))
							.retrieve()
							.toBodilessEntity()
							.getStatusCode()
							.value();
					});
				}
				ExecutorService executor = Executors.newFixedThreadPool(CALLERS);
				List<Integer> statuses = new ArrayList<>();
				try {
					for (Future<Integer> call : executor.invokeAll(calls)) {
						statuses.add(call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
					}
				}
				finally {
					executor.shutdownNow();
				}
				assertThat(statuses).hasSize(CALLERS).containsOnly(200);
				assertOneBoundTokenAndUniqueProofs();
			});
	}

	@Test
	void sixtyFourColdWebClientSubscribersShareOneBoundTokenAndEachCallCarriesItsOwnProof() {
		new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ReactiveOAuth2ClientAutoConfiguration.class,
					org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration.class,
					TokenCacheAutoConfiguration.class, ReactiveTokenCacheAutoConfiguration.class))
			.withPropertyValues(properties())
			.run((context) -> {
				WebClient client = context.getBean(WebClient.Builder.class).build();
				List<Integer> statuses = Flux.range(0, CALLERS)
					.flatMap((caller) -> client.get()
						.uri(baseUri + "/api/orders/" + caller + "?page=1")
						.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("sas"))
						.retrieve()
						.toBodilessEntity()
						.map((entity) -> entity.getStatusCode().value()), CALLERS)
					.collectList()
					.block(WAIT);
				assertThat(statuses).hasSize(CALLERS).containsOnly(200);
				assertOneBoundTokenAndUniqueProofs();
			});
	}

	@Test
	void theResourceServerRejectsAReplayedProofAndTheStarterNeverSendsOneTwice() throws Exception {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(OAuth2ClientAutoConfiguration.class,
					RestClientAutoConfiguration.class, TokenCacheAutoConfiguration.class))
			.withPropertyValues(properties())
			.run((context) -> {
				RestClient client = context.getBean(RestClient.Builder.class).build();
				for (int i = 0; i < 3; i++) {
					assertThat(client.get()
						.uri(baseUri + "/api/orders")
						.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("sas"))
						.retrieve()
						.toBodilessEntity()
						.getStatusCode()
						.value()).isEqualTo(200);
				}
				Recorder.Call sent = recorder().calls().get(0);
				HttpResponse<Void> replayed = HttpClient.newHttpClient()
					.send(HttpRequest.newBuilder(URI.create(baseUri + "/api/orders"))
						.header("Authorization", sent.authorization())
						.header("DPoP", sent.proof())
						.build(), HttpResponse.BodyHandlers.discarding());
				assertThat(replayed.statusCode()).isEqualTo(401);
				assertThat(replayed.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
						(challenge) -> assertThat(challenge).startsWith("DPoP").contains("invalid_dpop_proof"));
				List<String> jtis = recorder().calls().subList(0, 3).stream().map(Recorder.Call::jti).toList();
				assertThat(jtis).doesNotHaveDuplicates();
			});
	}

	private static void assertOneBoundTokenAndUniqueProofs() {
		Recorder recorder = recorder();
		assertThat(recorder.tokenRequests()).as("token requests").isEqualTo(1);
		assertThat(recorder.tokenRequestsWithProof()).as("token requests with a DPoP proof").isEqualTo(1);
		List<Recorder.Call> calls = recorder.calls();
		assertThat(calls).hasSize(CALLERS);
		assertThat(calls).allSatisfy((call) -> {
			assertThat(call.authorization()).startsWith("DPoP ");
			assertThat(call.status()).isEqualTo(200);
			assertThat(call.htu()).doesNotContain("?");
		});
		assertThat(calls.stream().map(Recorder.Call::authorization).distinct()).hasSize(1);
		assertThat(calls.stream().map(Recorder.Call::jti)).doesNotHaveDuplicates();
	}

	private static String[] properties() {
		return new String[] { "spring.security.oauth2.client.registration.sas.client-id=" + CLIENT,
				"spring.security.oauth2.client.registration.sas.client-secret=secret",
				"spring.security.oauth2.client.registration.sas.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.sas.scope=orders.read",
				"spring.security.oauth2.client.registration.sas.provider=sas",
				"spring.security.oauth2.client.provider.sas.token-uri=" + baseUri + "/oauth2/token",
				"dexpace.token-cache.registration.sas.dpop.enabled=true" };
	}

	private static Recorder recorder() {
		return server.getBean(Recorder.class);
	}

	/**
	 * Spring Authorization Server and a resource server that requires DPoP for
	 * {@code /api/**}, and a recorder ahead of both.
	 */
	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	@ImportAutoConfiguration(TomcatServletWebServerAutoConfiguration.class)
	static class Servers {

		@Bean
		@Order(1)
		SecurityFilterChain authorizationServerSecurityFilterChain(HttpSecurity http) {
			http.oauth2AuthorizationServer(
					(authorizationServer) -> http.securityMatcher(authorizationServer.getEndpointsMatcher()));
			http.authorizeHttpRequests((requests) -> requests.anyRequest().authenticated());
			return http.build();
		}

		@Bean
		@Order(2)
		SecurityFilterChain resourceServerSecurityFilterChain(HttpSecurity http, JwtDecoder jwtDecoder) {
			http.securityMatcher("/api/**")
				.authorizeHttpRequests((requests) -> requests.anyRequest().hasAuthority("SCOPE_orders.read"))
				.oauth2ResourceServer((resourceServer) -> enableDPoP(
						resourceServer.jwt((jwt) -> jwt.decoder(jwtDecoder))));
			return http.build();
		}

		/**
		 * Spring Security 7.0 takes the {@code DPoP} scheme on every resource server that
		 * has a JWT decoder; 7.1 only on one that asks for it with
		 * {@code oauth2ResourceServer((rs) -> rs.dPoP(Customizer.withDefaults()))}, a
		 * method 7.0 does not have (without it 7.1 answers a DPoP call
		 * {@code 401 WWW-Authenticate: Bearer resource_metadata=…}). The test compiles
		 * against both lines, so it calls the method where it exists.
		 */
		private static void enableDPoP(OAuth2ResourceServerConfigurer<HttpSecurity> resourceServer) {
			Method dPoP = ReflectionUtils.findMethod(OAuth2ResourceServerConfigurer.class, "dPoP", Customizer.class);
			if (dPoP != null) {
				ReflectionUtils.invokeMethod(dPoP, resourceServer, Customizer.withDefaults());
			}
		}

		@Bean
		InMemoryRegisteredClientRepository registeredClientRepository() {
			return new InMemoryRegisteredClientRepository(RegisteredClient.withId(CLIENT)
				.clientId(CLIENT)
				.clientSecret("{noop}secret")
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.scope("orders.read")
				.build());
		}

		@Bean
		JWKSource<SecurityContext> jwkSource() {
			return LoopbackServers.rsaJwkSource();
		}

		@Bean
		JwtDecoder jwtDecoder(JWKSource<SecurityContext> jwkSource) {
			return NimbusJwtDecoder.withJwkSource(jwkSource).build();
		}

		@Bean
		AuthorizationServerSettings authorizationServerSettings() {
			return AuthorizationServerSettings.builder().build();
		}

		@Bean
		ServletRegistrationBean<HttpServlet> api() {
			return new ServletRegistrationBean<>(new HttpServlet() {

				@Override
				protected void service(HttpServletRequest request, HttpServletResponse response) {
					response.setStatus(200);
				}

			}, "/api/*");
		}

		@Bean
		Recorder recorder() {
			return new Recorder();
		}

		@Bean
		FilterRegistrationBean<Recorder> recorderRegistration(Recorder recorder) {
			return LoopbackServers.ahead(recorder, "/oauth2/token", "/api/*");
		}

	}

	/**
	 * Records the token requests and, for each API call the starter makes, its
	 * {@code Authorization} header, proof and status.
	 */
	static final class Recorder extends OncePerRequestFilter {

		private final AtomicInteger tokenRequests = new AtomicInteger();

		private final AtomicInteger tokenRequestsWithProof = new AtomicInteger();

		private final List<Call> calls = new CopyOnWriteArrayList<>();

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			boolean tokenRequest = request.getRequestURI().equals("/oauth2/token");
			String proof = request.getHeader("DPoP");
			if (tokenRequest) {
				this.tokenRequests.incrementAndGet();
				if (proof != null) {
					this.tokenRequestsWithProof.incrementAndGet();
				}
			}
			chain.doFilter(request, response);
			// The replayed request of the test sends no User-Agent of the starter's client.
			if (!tokenRequest && proof != null && request.getHeader("User-Agent") != null
					&& !request.getHeader("User-Agent").startsWith("Java-http-client/test")) {
				this.calls.add(Call.of(request.getHeader("Authorization"), proof, response.getStatus()));
			}
		}

		int tokenRequests() {
			return this.tokenRequests.get();
		}

		int tokenRequestsWithProof() {
			return this.tokenRequestsWithProof.get();
		}

		List<Call> calls() {
			return this.calls;
		}

		void reset() {
			this.tokenRequests.set(0);
			this.tokenRequestsWithProof.set(0);
			this.calls.clear();
		}

		record Call(String authorization, String proof, String jti, String htu, int status) {

			static Call of(String authorization, String proof, int status) {
				try {
					SignedJWT jwt = SignedJWT.parse(proof);
					return new Call(authorization, proof, jwt.getJWTClaimsSet().getJWTID(),
							jwt.getJWTClaimsSet().getStringClaim("htu"), status);
				}
				catch (ParseException ex) {
					throw new IllegalStateException(ex);
				}
			}

		}

	}

}
