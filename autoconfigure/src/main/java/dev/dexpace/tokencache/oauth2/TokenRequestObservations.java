package dev.dexpace.tokencache.oauth2;

import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.metrics.DefaultTokenRequestObservationConvention;
import dev.dexpace.tokencache.metrics.TokenRequestObservationContext;
import dev.dexpace.tokencache.metrics.TokenRequestObservationConvention;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * What a token request observation is, for both managers: its context and convention,
 * its parent and its outcome (a token, none, an error, or a cancellation, recorded as an
 * error). The managers only say where the parent comes from: the blocking one runs the
 * request inside {@link #observe(TokenKey, Supplier)} on the calling thread, the reactive
 * one {@link #start(TokenKey, Observation) starts} it with the parent of its Reactor
 * context.
 *
 * @param registry the registry; {@link ObservationRegistry#NOOP} observes nothing
 * @param convention a convention that replaces the default one, or {@code null}
 */
record TokenRequestObservations(ObservationRegistry registry, @Nullable TokenRequestObservationConvention convention) {

	static final TokenRequestObservations NONE = new TokenRequestObservations(ObservationRegistry.NOOP, null);

	private static final TokenRequestObservationConvention DEFAULT_CONVENTION = new DefaultTokenRequestObservationConvention();

	/**
	 * Run a token request on the calling thread with its observation's scope open there,
	 * so that the token endpoint call nests under it; the observation current on the
	 * thread is its parent.
	 * @param <T> the type of the result
	 * @param key the key the token is requested for
	 * @param request the token request; a {@code null} result means no token
	 * @return the result of the request
	 */
	<T> @Nullable T observe(TokenKey key, Supplier<@Nullable T> request) {
		if (this.registry.isNoop()) {
			return request.get();
		}
		Pending pending = start(key, null);
		T result;
		try (Observation.Scope scope = pending.observation().openScope()) {
			result = request.get();
		}
		catch (RuntimeException | Error ex) {
			pending.failed(ex);
			throw ex;
		}
		pending.finished(result != null);
		return result;
	}

	/**
	 * Start the observation of a token request that ends later, on another thread.
	 * @param key the key the token is requested for
	 * @param parent the parent observation, or {@code null} for the one current on this
	 * thread, if any
	 * @return the started request, to be ended once
	 */
	Pending start(TokenKey key, @Nullable Observation parent) {
		TokenRequestObservationContext context = new TokenRequestObservationContext(key.registrationId(), key.kind());
		Observation observation = Observation.createNotStarted(this.convention, DEFAULT_CONVENTION, () -> context,
				this.registry);
		if (parent != null) {
			observation.parentObservation(parent);
		}
		return new Pending(observation.start(), context);
	}

	/**
	 * A started token request observation, ended by the first of its outcomes.
	 */
	static final class Pending {

		private final Observation observation;

		private final TokenRequestObservationContext context;

		private final AtomicBoolean ended = new AtomicBoolean();

		private Pending(Observation observation, TokenRequestObservationContext context) {
			this.observation = observation;
			this.context = context;
		}

		Observation observation() {
			return this.observation;
		}

		boolean isNoop() {
			return this.observation.isNoop();
		}

		void finished(boolean obtained) {
			if (this.ended.compareAndSet(false, true)) {
				this.context.setSuccess(obtained);
				this.observation.stop();
			}
		}

		void failed(Throwable error) {
			if (this.ended.compareAndSet(false, true)) {
				this.observation.error(error);
				this.observation.stop();
			}
		}

		void cancelled() {
			failed(new CancellationException("The token request was cancelled"));
		}

	}

}
