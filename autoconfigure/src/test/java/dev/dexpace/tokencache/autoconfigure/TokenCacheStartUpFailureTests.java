package dev.dexpace.tokencache.autoconfigure;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Every invalid value of a token cache property stops a real {@link SpringApplication}
 * with Spring Boot's failure report ("APPLICATION FAILED TO START"), whose description
 * names the property and whose action says what to do, never with a bare stack trace.
 */
@ExtendWith(OutputCaptureExtension.class)
class TokenCacheStartUpFailureTests {

	private static String loggingSystem;

	@BeforeAll
	static void keepTheTestsLogging() {
		// Spring Boot would reconfigure Logback for every application started here.
		loggingSystem = System.getProperty(LoggingSystem.SYSTEM_PROPERTY);
		System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
	}

	@AfterAll
	static void restoreLogging() {
		if (loggingSystem == null) {
			System.clearProperty(LoggingSystem.SYSTEM_PROPERTY);
		}
		else {
			System.setProperty(LoggingSystem.SYSTEM_PROPERTY, loggingSystem);
		}
	}

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource(delimiter = '|', textBlock = """
			enabled                                | maybe   | must be true or false
			type                                   | memcached | REDIS
			fallback-ttl                           | -5m     | must be positive
			fallback-ttl                           | 0s      | must be positive
			fallback-ttl                           | soon    | failed to convert
			expiry-buffer                          | -1s     | must not be negative
			expiry-buffer                          | 5m      | must be shorter than dexpace.token-cache.fallback-ttl
			expiry-buffer                          | later   | failed to convert
			max-system-tokens                      | 0       | must be positive
			max-system-tokens                      | -1      | must be positive
			max-system-tokens                      | many    | failed to convert
			max-user-tokens                        | 0       | must be positive
			retry-on-unauthorized                  | twice   | failed to convert
			token-request-timeout                  | 0s      | must be positive
			token-request-timeout                  | -10s    | must be positive
			registration.api.subject-token-type    | jwt     | must be a token type URN
			redis.key-prefix                       | ' '     | must not be blank
			redis.timeout                          | 0ms     | must be positive
			redis.failure-threshold                | 0       | must be positive
			redis.open-duration                    | -1s     | must be positive
			redis.lock.lease                       | 0s      | must be at least 1ms
			redis.lock.lease                       | -5s     | must be at least 1ms
			redis.lock.enabled                     | sure    | failed to convert
			redis.near-cache.max-size              | 0       | must be positive
			redis.near-cache.time-to-live          | 0s      | must be at least 1ms
			redis.near-cache.enabled               | sure    | failed to convert
			""")
	void anInvalidValueStopsStartUpWithAReportNamingTheProperty(String property, String value, String reason,
			CapturedOutput output) {
		String name = TokenCacheProperties.CONFIG_PREFIX + "." + property;
		assertThatException().isThrownBy(() -> start(name + "=" + value));
		String report = report(output);
		assertThat(report).contains("Description:").contains(name).contains(reason).contains("Action:");
	}

	@ParameterizedTest(name = "redis.encryption-key={0}")
	@CsvSource({ "c2hvcnQ=", "not-base64!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })
	void aBadEncryptionKeyStopsStartUpWithoutShowingTheKey(String key, CapturedOutput output) {
		assertThatException().isThrownBy(() -> start("dexpace.token-cache.redis.encryption-key=" + key));
		String report = report(output);
		assertThat(report).contains("dexpace.token-cache.redis.encryption-key").contains("Action:");
		assertThat(output.getAll()).doesNotContain(key);
	}

	private static void start(String property) {
		SpringApplication application = new SpringApplication(Application.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setDefaultProperties(java.util.Map.of("spring.main.banner-mode", "off"));
		application.run("--" + property);
	}

	private static String report(CapturedOutput output) {
		String all = output.getAll();
		int start = all.lastIndexOf("APPLICATION FAILED TO START");
		assertThat(start).as("Spring Boot's failure report in:%n%s", all).isNotNegative();
		return all.substring(start);
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ OAuth2ClientAutoConfiguration.class, RestClientAutoConfiguration.class,
			TokenCacheAutoConfiguration.class })
	static class Application {

	}

}
