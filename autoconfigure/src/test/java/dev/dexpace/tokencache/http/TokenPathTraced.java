package dev.dexpace.tokencache.http;

import java.util.ArrayList;
import java.util.List;

import dev.dexpace.tokencache.test.TestIdentityProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End-to-end client tests against a real identity provider with everything on the token
 * path logged at TRACE: no token value may appear in what was logged.
 */
@ExtendWith(OutputCaptureExtension.class)
abstract class TokenPathTraced {

	final TestIdentityProvider idp = new TestIdentityProvider();

	private final List<String> loggers = new ArrayList<>(
			List.of("dev.dexpace", "org.springframework.security", "org.springframework.http"));

	private final boolean fetchesLogged;

	private final LoggingSystem loggingSystem = LoggingSystem.get(TokenPathTraced.class.getClassLoader());

	/**
	 * Trace the starter, Spring Security and Spring's HTTP code, with these loggers of the
	 * clients under test.
	 * @param fetchesLogged whether the TRACE output must show that a token was fetched
	 * @param clientLoggers the loggers of the clients under test
	 */
	TokenPathTraced(boolean fetchesLogged, String... clientLoggers) {
		this.fetchesLogged = fetchesLogged;
		this.loggers.addAll(List.of(clientLoggers));
	}

	@BeforeEach
	void traceEverythingOnTheTokenPath() {
		this.loggers.forEach((logger) -> this.loggingSystem.setLogLevel(logger, LogLevel.TRACE));
	}

	@AfterEach
	void tokenValuesNeverReachTheLog(CapturedOutput output) {
		this.loggers.forEach((logger) -> this.loggingSystem.setLogLevel(logger, null));
		this.idp.close();
		if (this.fetchesLogged && !this.idp.issuedTokens().isEmpty()) {
			assertThat(output.getAll()).as("TRACE output of the token path").contains("Fetched token for");
		}
		for (String token : this.idp.issuedTokens()) {
			assertThat(output.getAll()).doesNotContain(token);
		}
	}

}
