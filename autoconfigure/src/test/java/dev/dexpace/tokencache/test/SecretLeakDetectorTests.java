package dev.dexpace.tokencache.test;

import java.time.Duration;
import java.util.UUID;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * The leak check itself can fail: a deliberate leak, in a detector of its own (the
 * suite's detector never learns these secrets, so the suite stays green), is caught at
 * TRACE below the logger's level, inside a logged exception, on the console, after Spring
 * Boot resets Logback, and fails a launcher session when it closes.
 */
class SecretLeakDetectorTests {

	private final SecretLeakDetector detector = new SecretLeakDetector();

	private final String secret = "leak-demo-" + UUID.randomUUID();

	private final Logger logger = (Logger) LoggerFactory.getLogger("dev.dexpace.leak.demo");

	@AfterEach
	void uninstall() {
		this.detector.uninstall();
		this.logger.setLevel(null);
	}

	@Test
	void aSecretLoggedAtTraceBelowTheLoggersLevelIsCaughtWithoutShowingIt() {
		this.logger.setLevel(Level.INFO);
		this.detector.install();
		this.detector.register(this.secret);
		if (this.logger.isTraceEnabled()) {
			this.logger.trace("issued " + this.secret);
		}
		assertThat(this.detector.leaks()).singleElement()
			.asString()
			.contains("log TRACE dev.dexpace.leak.demo")
			.doesNotContain(this.secret);
	}

	@Test
	void aSecretInTheCauseOfALoggedExceptionIsCaught() {
		this.detector.install();
		this.detector.register(this.secret);
		this.logger.warn("token request failed",
				new IllegalStateException("failed", new IllegalArgumentException("bad token " + this.secret)));
		assertThat(this.detector.leaks()).singleElement().asString().contains(IllegalArgumentException.class.getName());
	}

	@Test
	void aSecretPrintedOnTheConsoleIsCaught() {
		this.detector.install();
		this.detector.register(this.secret);
		System.out.println("Authorization: Bearer " + this.secret);
		assertThat(this.detector.leaks()).singleElement().asString().startsWith("System.out");
	}

	@Test
	void aSecretLoggedAfterSpringBootResetLogbackIsStillCaught() {
		this.detector.install();
		this.detector.register(this.secret);
		LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
		// What LogbackLoggingSystem does when an application starts.
		context.stop();
		context.reset();
		context.start();
		await().atMost(Duration.ofSeconds(10))
			.until(() -> context.getTurboFilterList().stream().anyMatch(SecretLeakDetector.Capture.class::isInstance));
		this.logger.trace("issued {}", this.secret);
		assertThat(this.detector.leaks()).hasSize(1);
	}

	@Test
	void aLaunchersSessionWithALeakFailsWhenItCloses() {
		SecretLeakDetector local = this.detector;
		LeakyTests.detector = local;
		LeakyTests.secret = this.secret;
		LauncherSession session = LauncherFactory.openSession(LauncherConfig.builder()
			.enableLauncherSessionListenerAutoRegistration(false)
			.addLauncherSessionListeners(new SecretLeakCheck(local))
			.build());
		session.getLauncher().execute(request().selectors(selectClass(LeakyTests.class)).build());
		assertThat(local.leaks()).hasSize(1);
		assertThatExceptionOfType(SecretLeakCheck.SecretLeakError.class).isThrownBy(session::close)
			.withMessageContaining("1 secret(s) leaked")
			.withMessageNotContaining(this.secret);
	}

	@Test
	void aLaunchersSessionWithoutALeakCloses() {
		LauncherSession session = LauncherFactory.openSession(LauncherConfig.builder()
			.enableLauncherSessionListenerAutoRegistration(false)
			.addLauncherSessionListeners(new SecretLeakCheck(this.detector))
			.build());
		this.detector.register(this.secret);
		this.logger.info("nothing secret here");
		session.close();
		assertThat(this.detector.leaks()).isEmpty();
		assertThat(this.detector.scannedEvents()).isPositive();
	}

	/**
	 * Run only by {@link #aLaunchersSessionWithALeakFailsWhenItCloses()}: a nested class
	 * that is not {@code @Nested}, so neither surefire nor Jupiter runs it on its own.
	 */
	static class LeakyTests {

		static SecretLeakDetector detector;

		static String secret;

		@Test
		void leak() {
			detector.register(secret);
			LoggerFactory.getLogger(LeakyTests.class).debug("here it is: {}", secret);
		}

	}

}
