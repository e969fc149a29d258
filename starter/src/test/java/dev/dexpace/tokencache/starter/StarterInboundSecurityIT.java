package dev.dexpace.tokencache.starter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.util.ClassUtils;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A servlet application that had no Spring Security and adds the starter, on the
 * starter's own classpath: its endpoints answer as before (no {@code 302 -> /login}), and
 * its client registrations bind and get the caching manager.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "spring.security.oauth2.client.registration.api.client-id=app",
				"spring.security.oauth2.client.registration.api.client-secret=app-secret",
				"spring.security.oauth2.client.registration.api.authorization-grant-type=client_credentials",
				"spring.security.oauth2.client.provider.api.token-uri=http://127.0.0.1:1/token" })
class StarterInboundSecurityIT {

	@LocalServerPort
	private int port;

	@Autowired
	private ApplicationContext context;

	@Test
	void anApplicationWithoutSpringSecurityAnswersItsEndpointsAsBefore() throws Exception {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/hello")).build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("hello");
	}

	@Test
	void theStarterBringsNothingThatSecuresInboundRequests() {
		ClassLoader classLoader = getClass().getClassLoader();
		assertThat(ClassUtils.isPresent("org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
				classLoader))
			.isFalse();
		assertThat(this.context.getBeanNamesForType(
				ClassUtils.resolveClassName("org.springframework.security.web.SecurityFilterChain", classLoader)))
			.isEmpty();
	}

	@Test
	void clientRegistrationsStillBindAndGetTheCachingManager() {
		assertThat(this.context.getBean(ClientRegistrationRepository.class).findByRegistrationId("api")).isNotNull();
		assertThat(this.context.getBean(OAuth2AuthorizedClientManager.class))
			.isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
	}

	@SpringBootApplication
	@RestController
	static class Application {

		@GetMapping("/hello")
		String hello() {
			return "hello";
		}

	}

}
