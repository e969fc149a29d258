package dev.dexpace.tokencache.sample;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's actuator over HTTP after a comparison run: the token cache's metrics and
 * its endpoint, which lists the cached token without its value.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "sample.calls=40", "sample.threads=4", "sample.users=10", "sample.warm-up-calls=0",
				"sample.revocation=false" })
class SampleActuatorTests {

	// Access tokens of the embedded server are JWTs: three base64url parts.
	private static final String JWT = "eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+";

	@Autowired
	private Comparison comparison;

	@LocalServerPort
	private int port;

	@Test
	void metricsAndTokenCacheEndpointShowTheCacheButNoToken() {
		this.comparison.run();
		RestClient actuator = RestClient.create("http://127.0.0.1:" + this.port + "/actuator");

		String lookups = actuator.get().uri("/metrics/dexpace.token.cache.lookups?tag=result:hit").retrieve().body(String.class);
		assertThat(lookups).contains("\"name\":\"dexpace.token.cache.lookups\"").contains("\"tier\"");
		String requests = actuator.get().uri("/metrics/dexpace.token.requests").retrieve().body(String.class);
		assertThat(requests).contains("\"registration\"").contains("\"outcome\"");

		String entries = actuator.get().uri("/tokencache").retrieve().body(String.class);
		assertThat(entries).contains("\"registration\":\"" + LocalClientRegistrationRepository.REGISTRATION_ID + "\"")
			.contains("\"kind\":\"system\"")
			.contains("\"remainingLifetime\"")
			.doesNotContainPattern(JWT);
		assertThat(lookups + requests).doesNotContainPattern(JWT);

		actuator.delete().uri("/tokencache/" + LocalClientRegistrationRepository.REGISTRATION_ID).retrieve().toBodilessEntity();
		assertThat(actuator.get().uri("/tokencache").retrieve().body(String.class)).contains("\"entries\":[]");
	}

}
