package dev.dexpace.tokencache.test;

import java.util.List;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs the {@link SecretLeakDetector} when a JUnit Platform launcher session opens (one
 * per surefire or failsafe run, so for the whole test suite) and fails the run when the
 * session closes if any watched secret reached a log message, a logged exception or the
 * console. Registered in {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class SecretLeakCheck implements LauncherSessionListener {

	private final SecretLeakDetector detector;

	public SecretLeakCheck() {
		this(SecretLeakDetector.get());
	}

	SecretLeakCheck(SecretLeakDetector detector) {
		this.detector = detector;
	}

	@Override
	public void launcherSessionOpened(LauncherSession session) {
		this.detector.install();
	}

	@Override
	public void launcherSessionClosed(LauncherSession session) {
		this.detector.uninstall();
		List<String> leaks = this.detector.leaks();
		System.out.println("Secret leak check: " + this.detector.watchedSecrets() + " secrets watched in "
				+ this.detector.scannedEvents() + " log events and console lines (" + this.detector.scannedCharacters()
				+ " characters), " + leaks.size() + " leaks");
		if (!leaks.isEmpty()) {
			throw new SecretLeakError(leaks);
		}
	}

	/**
	 * A watched secret reached the log or the console.
	 */
	public static final class SecretLeakError extends AssertionError {

		SecretLeakError(List<String> leaks) {
			super(leaks.size() + " secret(s) leaked into the log or the console:\n  "
					+ String.join("\n  ", leaks.subList(0, Math.min(20, leaks.size()))));
		}

	}

}
