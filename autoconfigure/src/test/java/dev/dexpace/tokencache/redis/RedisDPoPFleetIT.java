package dev.dexpace.tokencache.redis;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.dexpace.tokencache.autoconfigure.TokenCacheAutoConfiguration;
import dev.dexpace.tokencache.dpop.DPoPRegistrations;
import dev.dexpace.tokencache.dpop.NonceDemandingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances on one real Redis calling an identity provider and a resource server
 * that bind tokens to the proof's key and demand nonces: with one key (an SSL bundle both
 * read) they share the bound token; with a key each (generated at start-up) they never
 * do, and each has its own token in Redis. Neither the keys nor the values in Redis hold
 * the private key.
 */
class RedisDPoPFleetIT {

	private static final String PASSWORD = "changeit";

	private static RedisProcess redis;

	@TempDir
	static Path directory;

	private static Path keyStore;

	private RawRedis raw;

	private NonceDemandingServer server;

	@BeforeAll
	static void startRedisAndCreateTheFleetKey() throws Exception {
		redis = RedisProcess.launch();
		keyStore = directory.resolve("dpop.p12");
		Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
		Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "dpop", "-keyalg", "EC",
				"-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=dpop", "-validity", "2",
				"-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass",
				PASSWORD)
			.redirectErrorStream(true)
			.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(output).isZero();
		assertThat(Files.exists(keyStore)).isTrue();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@BeforeEach
	void emptyRedisAndStartTheServers() throws Exception {
		this.raw = new RawRedis(redis.port());
		this.raw.commands().flushall();
		this.server = new NonceDemandingServer();
	}

	@AfterEach
	void close() {
		this.raw.close();
		this.server.close();
	}

	@Test
	void twoInstancesWithOneSharedKeyShareTheBoundToken() {
		ApplicationContextRunner runner = runner().withPropertyValues(
				"spring.ssl.bundle.jks.fleet.keystore.location=file:" + keyStore,
				"spring.ssl.bundle.jks.fleet.keystore.password=" + PASSWORD,
				"spring.ssl.bundle.jks.fleet.keystore.type=PKCS12", "spring.ssl.bundle.jks.fleet.key.alias=dpop",
				"dexpace.token-cache.registration.idp.dpop.ssl-bundle=fleet");
		runner.run((a) -> runner.run((b) -> {
			assertThat(call(a)).isEqualTo(200);
			assertThat(call(b)).isEqualTo(200);
			assertThat(call(a)).isEqualTo(200);
			assertThat(call(b)).isEqualTo(200);
			assertThat(this.server.problems()).isEmpty();
			assertThat(this.server.tokenRequests()).as("token requests: one for the nonce, one for the token")
				.isEqualTo(2);
			assertThat(this.raw.keys()).hasSize(1);
			String thumbprint = a.getBean(DPoPRegistrations.class).thumbprint("idp");
			assertThat(thumbprint).isEqualTo(b.getBean(DPoPRegistrations.class).thumbprint("idp"));
			assertThat(new String(this.raw.get(this.raw.keys().get(0)), StandardCharsets.ISO_8859_1))
				.as("the value records the thumbprint of the key")
				.contains(thumbprint);
			assertNoPrivateKeyInRedis();
		}));
	}

	@Test
	void twoInstancesWithDifferentKeysNeverShareABoundToken() {
		ApplicationContextRunner runner = runner();
		runner.run((a) -> runner.run((b) -> {
			assertThat(call(a)).isEqualTo(200);
			assertThat(call(b)).isEqualTo(200);
			assertThat(call(a)).isEqualTo(200);
			assertThat(call(b)).isEqualTo(200);
			assertThat(this.server.problems()).as("tokens sent with another key's proof").isEmpty();
			assertThat(this.server.tokenRequests()).as("token requests: two for each instance").isEqualTo(4);
			assertThat(this.raw.keys()).hasSize(2);
		}));
	}

	private int call(ApplicationContext context) {
		return this.server.getOrders(context.getBean(RestClient.Builder.class).build());
	}

	private void assertNoPrivateKeyInRedis() throws Exception {
		KeyStore store = KeyStore.getInstance("PKCS12");
		try (InputStream in = new FileInputStream(keyStore.toFile())) {
			store.load(in, PASSWORD.toCharArray());
		}
		byte[] d = ((ECPrivateKey) store.getKey("dpop", PASSWORD.toCharArray())).getS().toByteArray();
		List<String> forms = List.of(Base64.getUrlEncoder().withoutPadding().encodeToString(trim(d)),
				Base64.getEncoder().encodeToString(trim(d)), HexFormat.of().formatHex(trim(d)));
		for (String key : this.raw.keys()) {
			String value = new String(this.raw.get(key), StandardCharsets.ISO_8859_1);
			for (String form : forms) {
				assertThat(key).doesNotContain(form);
				assertThat(value).doesNotContain(form);
			}
			assertThat(indexOf(this.raw.get(key), trim(d))).isEqualTo(-1);
		}
	}

	private static byte[] trim(byte[] unsigned) {
		return (unsigned.length > 32 && unsigned[0] == 0) ? Arrays.copyOfRange(unsigned, 1, unsigned.length)
				: unsigned;
	}

	private static int indexOf(byte[] haystack, byte[] needle) {
		outer: for (int i = 0; i <= haystack.length - needle.length; i++) {
			for (int j = 0; j < needle.length; j++) {
				if (haystack[i + j] != needle[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, DataRedisAutoConfiguration.class,
					OAuth2ClientAutoConfiguration.class, RestClientAutoConfiguration.class,
					TokenCacheAutoConfiguration.class))
			.withPropertyValues("dexpace.token-cache.type=redis", "spring.data.redis.host=127.0.0.1",
					"spring.data.redis.port=" + redis.port(), "dexpace.token-cache.redis.timeout=5s",
					"spring.security.oauth2.client.registration.idp.client-id=client",
					"spring.security.oauth2.client.registration.idp.client-secret=secret",
					"spring.security.oauth2.client.registration.idp.authorization-grant-type=client_credentials",
					"spring.security.oauth2.client.registration.idp.provider=idp",
					"spring.security.oauth2.client.provider.idp.token-uri=" + this.server.uri("/token"),
					"dexpace.token-cache.registration.idp.dpop.enabled=true");
	}

}
