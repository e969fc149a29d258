package dev.dexpace.tokencache.sample;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Size of the sample's workload.
 *
 * @param calls number of API calls made by each client in each run
 * @param threads number of threads that share the calls
 * @param users number of distinct users the calls are made for
 * @param warmUpCalls number of calls each client makes before the measured runs, so
 * that neither is timed while the JVM is still cold; 0 for none
 * @param revocation whether to also run every client while the API revokes one token
 * mid-run
 * @param keepRunning whether to keep the server up after the report is printed
 * @since 0.1.0
 */
@ConfigurationProperties("sample")
public record SampleProperties(@DefaultValue("600") int calls, @DefaultValue("16") int threads,
		@DefaultValue("60") int users, @DefaultValue("300") int warmUpCalls,
		@DefaultValue("true") boolean revocation, @DefaultValue("false") boolean keepRunning) {

	public SampleProperties {
		if (calls <= 0 || threads <= 0 || users <= 0) {
			throw new IllegalArgumentException("sample.calls, sample.threads and sample.users must be positive, were "
					+ calls + ", " + threads + " and " + users);
		}
		if (warmUpCalls < 0) {
			throw new IllegalArgumentException("sample.warm-up-calls must not be negative, was " + warmUpCalls);
		}
	}

}
