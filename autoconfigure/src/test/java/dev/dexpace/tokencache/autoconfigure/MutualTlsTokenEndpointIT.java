package dev.dexpace.tokencache.autoconfigure;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.dexpace.tokencache.test.SecretLeakDetector;
import dev.dexpace.tokencache.test.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The token endpoint over the application's own HTTP settings, against a real HTTPS
 * token endpoint (a JDK {@link HttpsServer} that requires a client certificate issued by
 * a certificate authority made for the test): {@code tls_client_auth} with the client
 * certificate of a registration's SSL bundle, blocking and reactive; a client without
 * the certificate; misconfigurations; and Boot's read timeout on a token endpoint that
 * never answers.
 */
class MutualTlsTokenEndpointIT {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final TestCertificates certificates = new TestCertificates();

	private static final TestCertificates.Issued client = certificates.client("partner-client");

	private static HttpsServer server;

	private static final ExecutorService executor = Executors.newFixedThreadPool(4);

	private static final AtomicInteger tokenRequests = new AtomicInteger();

	private static volatile String lastClientCertificate;

	private static volatile String lastForm;

	@BeforeAll
	static void startTheTokenEndpoint() throws Exception {
		server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
		server.setHttpsConfigurator(new HttpsConfigurator(certificates.serverContext(certificates.server())) {

			@Override
			public void configure(HttpsParameters params) {
				SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
				parameters.setNeedClientAuth(true);
				params.setSSLParameters(parameters);
			}

		});
		server.createContext("/token", MutualTlsTokenEndpointIT::token);
		server.setExecutor(executor);
		server.start();
	}

	@AfterAll
	static void stop() {
		server.stop(0);
		executor.shutdownNow();
	}

	@BeforeEach
	void reset() {
		tokenRequests.set(0);
		lastClientCertificate = null;
		lastForm = null;
	}

	private static void token(HttpExchange exchange) throws IOException {
		try (exchange) {
			tokenRequests.incrementAndGet();
			lastForm = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			try {
				lastClientCertificate = ((HttpsExchange) exchange).getSSLSession().getPeerPrincipal().getName();
			}
			catch (SSLPeerUnverifiedException ex) {
				lastClientCertificate = null;
			}
			String token = "mtls-" + UUID.randomUUID();
			SecretLeakDetector.watch(token);
			byte[] body = ("{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}")
				.getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Content-Type", "application/json");
			exchange.sendResponseHeaders(200, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		}
	}

	private static String tokenUri() {
		return "https://127.0.0.1:" + server.getAddress().getPort() + "/token";
	}

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, HttpClientAutoConfiguration.class,
				OAuth2ClientAutoConfiguration.class, TokenCacheAutoConfiguration.class,
				ReactiveTokenCacheAutoConfiguration.class));

	private static String[] registration(String method) {
		return new String[] { "spring.security.oauth2.client.registration.partner.client-id=partner-client",
				"spring.security.oauth2.client.registration.partner.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.registration.partner.client-authentication-method=" + method,
				"spring.security.oauth2.client.registration.partner.provider=idp",
				"spring.security.oauth2.client.provider.idp.token-uri=" + tokenUri() };
	}

	private static String[] clientBundle() {
		return new String[] { "spring.ssl.bundle.pem.partner-mtls.keystore.certificate=" + client.certificatePem(),
				"spring.ssl.bundle.pem.partner-mtls.keystore.private-key=" + client.privateKeyPem(),
				"spring.ssl.bundle.pem.partner-mtls.truststore.certificate=" + certificates.caPem() };
	}

	private static OAuth2AuthorizeRequest authorize() {
		Authentication principal = new AnonymousAuthenticationToken("key", "anonymous",
				AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));
		return OAuth2AuthorizeRequest.withClientRegistrationId("partner").principal(principal).build();
	}

	@Test
	void tlsClientAuthGetsATokenOverTheClientCertificateOfTheRegistrationsBundleAndCachesIt() {
		this.contextRunner.withPropertyValues(registration("tls_client_auth"))
			.withPropertyValues(clientBundle())
			.withPropertyValues("dexpace.token-cache.registration.partner.ssl-bundle=partner-mtls")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
				OAuth2AuthorizedClient first = manager.authorize(authorize());
				OAuth2AuthorizedClient second = manager.authorize(authorize());
				assertThat(first.getAccessToken().getTokenValue()).startsWith("mtls-")
					.isEqualTo(second.getAccessToken().getTokenValue());
				assertThat(tokenRequests).hasValue(1);
				assertThat(lastClientCertificate).isEqualTo("CN=partner-client");
				assertThat(lastForm).contains("client_id=partner-client").doesNotContain("client_secret");
				assertThat(context.getBean(TokenCacheStartupLog.class).tokenEndpointTls())
					.contains("token-endpoint-ssl-bundles={partner=partner-mtls}")
					.contains("certificate-bound")
					.contains("[partner]");
			});
	}

	@Test
	void theReactiveManagerPresentsTheSameClientCertificate() {
		this.contextRunner.withPropertyValues(registration("tls_client_auth"))
			.withPropertyValues(clientBundle())
			.withPropertyValues("dexpace.token-cache.registration.partner.ssl-bundle=partner-mtls")
			.run((context) -> {
				ReactiveOAuth2AuthorizedClientManager manager = context
					.getBean(ReactiveOAuth2AuthorizedClientManager.class);
				OAuth2AuthorizedClient first = manager.authorize(authorize()).block(WAIT);
				OAuth2AuthorizedClient second = manager.authorize(authorize()).block(WAIT);
				assertThat(first.getAccessToken().getTokenValue()).startsWith("mtls-")
					.isEqualTo(second.getAccessToken().getTokenValue());
				assertThat(tokenRequests).hasValue(1);
				assertThat(lastClientCertificate).isEqualTo("CN=partner-client");
			});
	}

	@Test
	void aClientWithoutTheCertificateGetsAClearError() {
		this.contextRunner.withPropertyValues(registration("none"))
			.withPropertyValues("spring.ssl.bundle.pem.ca-only.truststore.certificate=" + certificates.caPem(),
					"dexpace.token-cache.registration.partner.ssl-bundle=ca-only")
			.run((context) -> {
				OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
				assertThatExceptionOfType(OAuth2AuthorizationException.class)
					.isThrownBy(() -> manager.authorize(authorize()))
					// TLS 1.3 reports the missing certificate after the handshake, as a reset.
					.withMessageContaining("client certificate")
					.withMessageContaining("ssl-bundle");
				assertThat(tokenRequests).hasValue(0);
			});
	}

	@Test
	void tlsClientAuthWithABundleWithoutAKeyStopsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues(registration("tls_client_auth"))
			.withPropertyValues("spring.ssl.bundle.pem.ca-only.truststore.certificate=" + certificates.caPem(),
					"dexpace.token-cache.registration.partner.ssl-bundle=ca-only")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.partner.ssl-bundle")
				.hasMessageContaining("has no private key"));
	}

	@Test
	void tlsClientAuthWithoutABundleStopsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues(registration("tls_client_auth"))
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.partner.ssl-bundle"));
	}

	@Test
	void aMissingBundleStopsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues(registration("client_secret_basic"))
			.withPropertyValues("spring.security.oauth2.client.registration.partner.client-secret=s3cret",
					"dexpace.token-cache.registration.partner.ssl-bundle=nowhere")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.partner.ssl-bundle")
				.hasMessageContaining("no SSL bundle"));
	}

	@Test
	void bootsReadTimeoutReachesTheTokenRequest() throws Exception {
		CountDownLatch release = new CountDownLatch(1);
		HttpServer silent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
		ExecutorService silentExecutor = Executors.newFixedThreadPool(2);
		silent.createContext("/token", (exchange) -> {
			try (exchange) {
				release.await(60, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		silent.setExecutor(silentExecutor);
		silent.start();
		try {
			this.contextRunner
				.withPropertyValues("spring.security.oauth2.client.registration.partner.client-id=partner-client",
						"spring.security.oauth2.client.registration.partner.client-secret=s3cret",
						"spring.security.oauth2.client.registration.partner.authorization-grant-type=client_credentials",
						"spring.security.oauth2.client.registration.partner.provider=idp",
						"spring.security.oauth2.client.provider.idp.token-uri=http://127.0.0.1:"
								+ silent.getAddress().getPort() + "/token",
						"dexpace.token-cache.token-request-timeout=60s", "spring.http.clients.read-timeout=300ms")
				.run((context) -> {
					OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
					Instant start = Instant.now();
					assertThatExceptionOfType(OAuth2AuthorizationException.class)
						.isThrownBy(() -> manager.authorize(authorize()))
						.withMessageContaining("timed out");
					// A guard, not a measurement: the token request timeout is 60 s.
					assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(30));
				});
		}
		finally {
			release.countDown();
			silent.stop(0);
			silentExecutor.shutdownNow();
		}
	}

}
