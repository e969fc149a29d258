package dev.dexpace.tokencache.metrics;

import dev.dexpace.tokencache.oauth2.TokenEndpointBackoff;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds the number of token endpoints the caching managers are backing off from as the
 * gauge {@value #ENDPOINTS_IN_BACKOFF}.
 *
 * @since 0.1.0
 */
public final class TokenEndpointBackoffMeterBinder implements MeterBinder {

	/**
	 * Token endpoints in backoff after a failure, for every key or for one client of
	 * theirs.
	 */
	public static final String ENDPOINTS_IN_BACKOFF = "dexpace.token.endpoints.backoff";

	private final TokenEndpointBackoff backoff;

	/**
	 * Create a binder.
	 * @param backoff the backoff the application's caching managers share
	 */
	public TokenEndpointBackoffMeterBinder(TokenEndpointBackoff backoff) {
		this.backoff = backoff;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder(ENDPOINTS_IN_BACKOFF, this.backoff, TokenEndpointBackoff::endpointsInBackoff)
			.description("Token endpoints the token cache is backing off from after a failure")
			.strongReference(true)
			.register(registry);
	}

}
