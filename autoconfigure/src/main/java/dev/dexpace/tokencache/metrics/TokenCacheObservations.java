package dev.dexpace.tokencache.metrics;

import java.util.function.Supplier;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.TokenKind;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Observes every token request to the identity provider: with Micrometer's meter handler
 * it is the timer {@value DefaultTokenRequestObservationConvention#NAME}, with a tracer a
 * span {@code token fetch} under the request that needed the token. The observation's
 * scope is open while the request runs, so the token endpoint call nests under it.
 *
 * @since 0.1.0
 */
public final class TokenCacheObservations implements TokenCacheListener {

	private static final TokenRequestObservationConvention DEFAULT_CONVENTION = new DefaultTokenRequestObservationConvention();

	private final ObservationRegistry registry;

	private final @Nullable TokenRequestObservationConvention convention;

	/**
	 * Create an instance.
	 * @param registry the observation registry
	 * @param convention a convention that replaces the default one, or {@code null}
	 */
	public TokenCacheObservations(ObservationRegistry registry,
			@Nullable TokenRequestObservationConvention convention) {
		this.registry = registry;
		this.convention = convention;
	}

	@Override
	public <T> @Nullable T tokenRequest(String registrationId, TokenKind kind, Supplier<@Nullable T> request) {
		TokenRequestObservationContext context = new TokenRequestObservationContext(registrationId, kind);
		Observation observation = Observation
			.createNotStarted(this.convention, DEFAULT_CONVENTION, () -> context, this.registry)
			.start();
		try (Observation.Scope scope = observation.openScope()) {
			T result = request.get();
			context.setSuccess(result != null);
			return result;
		}
		catch (RuntimeException | Error ex) {
			observation.error(ex);
			throw ex;
		}
		finally {
			observation.stop();
		}
	}

	@Override
	public PendingTokenRequest tokenRequestStarted(String registrationId, TokenKind kind) {
		TokenRequestObservationContext context = new TokenRequestObservationContext(registrationId, kind);
		// Started on the subscribing thread: the observation current there, if any, is its
		// parent.
		Observation observation = Observation
			.createNotStarted(this.convention, DEFAULT_CONVENTION, () -> context, this.registry)
			.start();
		return new PendingTokenRequest() {

			@Override
			public void finished(boolean obtained) {
				context.setSuccess(obtained);
				observation.stop();
			}

			@Override
			public void failed(Throwable error) {
				observation.error(error);
				observation.stop();
			}

		};
	}


}
