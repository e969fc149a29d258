package dev.dexpace.tokencache.metrics;

import io.micrometer.common.KeyValues;

/**
 * The default names and tags of a token request observation: name {@value #NAME} (the
 * timer of that name, through Micrometer's meter handler), contextual name
 * {@code token fetch} (the span), low-cardinality key values {@code registration}
 * (bounded by the configured registrations) and {@code outcome} ({@code success} or
 * {@code failure}). Nothing else: never a token, a subject or a scope.
 *
 * @since 0.1.0
 */
public class DefaultTokenRequestObservationConvention implements TokenRequestObservationConvention {

	/**
	 * The name of the observation and of its timer.
	 */
	public static final String NAME = "dexpace.token.requests";

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(TokenRequestObservationContext context) {
		return "token fetch";
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(TokenRequestObservationContext context) {
		return KeyValues.of("registration", context.getRegistrationId(), "outcome",
				context.isSuccess() ? "success" : "failure");
	}

}
