package dev.dexpace.tokencache.test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Watches every log event of the test JVM, at TRACE, for secrets: every token the test
 * identity provider issues and every subject token it receives are registered with
 * {@link #watch(String)}; any log message, logged exception (message, causes, suppressed)
 * or console output that contains one is recorded as a leak, and {@link SecretLeakCheck}
 * fails the test run when the run ends.
 * <p>
 * TRACE without the noise: a Logback {@link TurboFilter} answers "enabled" to every
 * {@code isTraceEnabled()} question, so every logger builds every message, reads each
 * message and its exception, and then leaves the ordinary level check to decide what is
 * printed. The filter is put back whenever Spring Boot's logging system resets Logback.
 * Wire-protocol loggers (see {@link #wireProtocol(String)}) are left at their level.
 * <p>
 * Matching is a rolling hash over a 16-character window in the middle of each secret, so
 * scanning costs one hash step per character however many secrets are watched.
 */
public final class SecretLeakDetector {

	private static final SecretLeakDetector INSTANCE = new SecretLeakDetector();

	static final int WINDOW = 16;

	private static final long BASE = 1_000_003L;

	private static final int BLOOM_BITS = 1 << 22;

	/**
	 * Console output is scanned line by line; a line longer than this (no real log line)
	 * is scanned in pieces.
	 */
	private static final int MAX_LINE = 4 << 20;

	/**
	 * The encoding of the console streams, passed through unchanged.
	 */
	private static final Charset CONSOLE = Charset.defaultCharset();

	private final long power;

	private final ConcurrentHashMap<Long, List<String>> secretsByWindow = new ConcurrentHashMap<>();

	private final AtomicLongArray bloom = new AtomicLongArray(BLOOM_BITS / 64);

	private final Set<String> secrets = ConcurrentHashMap.newKeySet();

	private final List<String> leaks = new CopyOnWriteArrayList<>();

	private final AtomicLong scannedCharacters = new AtomicLong();

	private final AtomicLong scannedEvents = new AtomicLong();

	private final Capture capture = new Capture(this);

	private volatile boolean installed;

	private PrintStream originalOut;

	private PrintStream originalErr;

	private ScheduledExecutorService guard;

	SecretLeakDetector() {
		long p = 1;
		for (int i = 1; i < WINDOW; i++) {
			p *= BASE;
		}
		this.power = p;
	}

	/**
	 * Return the detector of this test run.
	 * @return the detector
	 */
	public static SecretLeakDetector get() {
		return INSTANCE;
	}

	/**
	 * Watch a secret from now on.
	 * @param secret a token value or subject token
	 */
	public static void watch(String secret) {
		INSTANCE.register(secret);
	}

	/**
	 * Return a description of the first watched secret the text contains, or {@code null}.
	 * @param text any text, such as an exception message or a {@code toString()}
	 * @return where the secret starts, without the secret, or {@code null}
	 */
	public static String findSecretIn(String text) {
		return INSTANCE.find(text);
	}

	void register(String secret) {
		if (secret.length() < WINDOW || !this.secrets.add(secret)) {
			return;
		}
		long hash = hash(secret, offset(secret));
		this.secretsByWindow.computeIfAbsent(hash, (h) -> new CopyOnWriteArrayList<>()).add(secret);
		int bit = bloomBit(hash);
		this.bloom.getAndUpdate(bit >>> 6, (word) -> word | (1L << (bit & 63)));
	}

	/**
	 * Scan a text and record a leak if it contains a watched secret.
	 * @param text the text
	 * @param where where the text was seen, for the report
	 */
	void scan(String text, String where) {
		this.scannedEvents.incrementAndGet();
		String found = find(text);
		if (found != null) {
			this.leaks.add(where + ": " + found);
		}
	}

	String find(String text) {
		int length = text.length();
		this.scannedCharacters.addAndGet(length);
		if (length < WINDOW || this.secrets.isEmpty()) {
			return null;
		}
		long hash = 0;
		for (int i = 0; i < length; i++) {
			if (i >= WINDOW) {
				hash -= text.charAt(i - WINDOW) * this.power;
			}
			hash = hash * BASE + text.charAt(i);
			if (i >= WINDOW - 1 && maybe(hash)) {
				List<String> candidates = this.secretsByWindow.get(hash);
				if (candidates != null) {
					for (String secret : candidates) {
						int start = i - WINDOW + 1 - offset(secret);
						if (start >= 0 && text.regionMatches(start, secret, 0, secret.length())) {
							return "a watched secret (" + secret.length() + " characters, starting "
									+ secret.substring(0, Math.min(6, secret.length())) + "...) at character " + start;
						}
					}
				}
			}
		}
		return null;
	}

	/**
	 * Return the leaks recorded so far.
	 * @return the leaks
	 */
	public List<String> leaks() {
		return Collections.unmodifiableList(this.leaks);
	}

	/**
	 * Forget the leaks recorded so far (for the detector's own tests).
	 */
	void forgetLeaks() {
		this.leaks.clear();
	}

	int watchedSecrets() {
		return this.secrets.size();
	}

	long scannedEvents() {
		return this.scannedEvents.get();
	}

	long scannedCharacters() {
		return this.scannedCharacters.get();
	}

	/**
	 * Start watching the log and the console of this JVM.
	 */
	synchronized void install() {
		if (this.installed) {
			return;
		}
		this.installed = true;
		this.originalOut = System.out;
		this.originalErr = System.err;
		System.setOut(tee(this.originalOut, "System.out"));
		System.setErr(tee(this.originalErr, "System.err"));
		ensureFilter();
		// Spring Boot's logging system stops and resets Logback when an application starts,
		// which drops every turbo filter and every context listener: put ours back.
		this.guard = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "secret-leak-detector");
			thread.setDaemon(true);
			return thread;
		});
		this.guard.scheduleWithFixedDelay(this::ensureFilter, 1, 1, TimeUnit.MILLISECONDS);
	}

	/**
	 * Stop watching.
	 */
	synchronized void uninstall() {
		if (!this.installed) {
			return;
		}
		this.installed = false;
		this.guard.shutdownNow();
		if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
			context.getTurboFilterList().remove(this.capture);
		}
		System.setOut(this.originalOut);
		System.setErr(this.originalErr);
	}

	private void ensureFilter() {
		if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
				&& !context.getTurboFilterList().contains(this.capture)) {
			this.capture.setContext(context);
			this.capture.start();
			context.getTurboFilterList().add(0, this.capture);
		}
	}

	private PrintStream tee(PrintStream original, String where) {
		SecretLeakDetector detector = this;
		OutputStream scanning = new OutputStream() {

			private final StringBuilder line = new StringBuilder();

			@Override
			public synchronized void write(int b) {
				original.write(b);
				this.line.append((char) b);
				if (b == '\n' || this.line.length() > MAX_LINE) {
					flushLine();
				}
			}

			@Override
			public synchronized void write(byte[] b, int off, int len) {
				original.write(b, off, len);
				// Secrets are ASCII: a character split across two writes cannot hide one.
				this.line.append(new String(b, off, len, CONSOLE));
				if (this.line.indexOf("\n", this.line.length() - len) >= 0 || this.line.length() > MAX_LINE) {
					flushLine();
				}
			}

			@Override
			public synchronized void flush() {
				original.flush();
			}

			private void flushLine() {
				detector.scan(this.line.toString(), where);
				this.line.setLength(0);
			}

		};
		return new PrintStream(scanning, true, CONSOLE);
	}

	void scanThrowable(Throwable thrown, String where) {
		Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
		List<Throwable> pending = new ArrayList<>();
		pending.add(thrown);
		while (!pending.isEmpty()) {
			Throwable current = pending.remove(pending.size() - 1);
			if (current == null || !seen.add(current)) {
				continue;
			}
			scan(String.valueOf(current), where + " (" + current.getClass().getName() + ")");
			pending.add(current.getCause());
			Collections.addAll(pending, current.getSuppressed());
		}
	}

	private boolean maybe(long hash) {
		int bit = bloomBit(hash);
		return (this.bloom.get(bit >>> 6) & (1L << (bit & 63))) != 0;
	}

	private static int bloomBit(long hash) {
		return (int) ((hash ^ (hash >>> 29)) & (BLOOM_BITS - 1));
	}

	private static int offset(String secret) {
		return (secret.length() - WINDOW) / 2;
	}

	private long hash(String text, int from) {
		long hash = 0;
		for (int i = from; i < from + WINDOW; i++) {
			hash = hash * BASE + text.charAt(i);
		}
		return hash;
	}

	/**
	 * Loggers that dump the raw wire protocol at TRACE: Lettuce's command encoder and
	 * handler print every Redis command and reply, so with a plain (unencrypted) Redis
	 * token cache they print the token values. That is what they are for; docs/failure-behaviour.md warns
	 * about it. What they log at their configured level is still watched.
	 */
	static boolean wireProtocol(String logger) {
		return logger.startsWith("io.lettuce.core.protocol.") || logger.startsWith("io.netty.");
	}

	/**
	 * The turbo filter that reads every log event, at every level.
	 */
	static final class Capture extends TurboFilter {

		private final SecretLeakDetector detector;

		Capture(SecretLeakDetector detector) {
			this.detector = detector;
		}

		@Override
		public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
				Throwable t) {
			if (format == null && params == null && t == null) {
				// isTraceEnabled() and friends: yes, so the message gets built and we see it;
				// except for wire-protocol loggers, which dump what they send and receive.
				return wireProtocol(logger.getName()) ? FilterReply.NEUTRAL : FilterReply.ACCEPT;
			}
			String where = "log " + level + " " + logger.getName();
			String text = (format != null) ? MessageFormatter.arrayFormat(format, params).getMessage() : "";
			this.detector.scan(text, where);
			if (params != null) {
				for (Object param : params) {
					if (param instanceof Throwable thrown) {
						this.detector.scanThrowable(thrown, where);
					}
				}
			}
			if (t != null) {
				this.detector.scanThrowable(t, where);
			}
			// Leave printing to the ordinary level check.
			return FilterReply.NEUTRAL;
		}

	}

}
