package dev.dexpace.tokencache.oauth2;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Records failures of the token cache backend. The first failure of a burst is logged at
 * WARN, the rest at DEBUG, and the first success after a burst is logged once, so an
 * outage shows up in the log without a line per call.
 */
final class CacheFaults {

	private static final Log logger = LogFactory.getLog(CacheFaults.class);

	private final AtomicBoolean failing = new AtomicBoolean();

	private final AtomicLong failures = new AtomicLong();

	void failed(String operation, RuntimeException ex) {
		this.failures.incrementAndGet();
		if (this.failing.compareAndSet(false, true)) {
			logger.warn("Token cache " + operation + " failed (" + ex.getClass().getName()
					+ "); tokens are fetched from the identity provider until the cache recovers");
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Token cache " + operation + " failed", ex);
		}
	}

	void succeeded() {
		if (this.failing.get() && this.failing.compareAndSet(true, false)) {
			logger.warn("Token cache recovered");
		}
	}

	long failures() {
		return this.failures.get();
	}

}
