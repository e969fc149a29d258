package dev.dexpace.tokencache.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.dexpace.tokencache.autoconfigure.TokenCacheObservationAutoConfiguration;
import dev.dexpace.tokencache.http.TokenCacheClientHttpRequestInterceptor;
import dev.dexpace.tokencache.test.ObservabilityContexts;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.ObservationView;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each token request is an observation of its own, nested under the observation of the
 * call that needed the token (current on the calling thread for a blocking call, in the
 * Reactor context for a reactive one); cached calls make none.
 */
class TokenCacheObservationsIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void close() {
		this.idp.close();
	}

	private final TestObservationRegistry observations = TestObservationRegistry.create();

	private final List<Observation.Context> fetches = new CopyOnWriteArrayList<>();

	@BeforeEach
	void recordTokenFetches() {
		this.observations.observationConfig().observationHandler(new ObservationHandler<>() {

			@Override
			public boolean supportsContext(Observation.Context context) {
				return context instanceof TokenRequestObservationContext;
			}

			@Override
			public void onStart(Observation.Context context) {
				TokenCacheObservationsIT.this.fetches.add(context);
			}

		});
	}

	@Test
	void tokenFetchOfAReactiveCallHasTheObservationOfItsReactorContextAsParent() {
		ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withConfiguration(AutoConfigurations.of(TokenCacheObservationAutoConfiguration.class))
			.withBean(ObservationRegistry.class, () -> this.observations)
			.run((context) -> {
				// As in an application: the WebClient observes its calls on the same registry.
				WebClient client = context.getBean(WebClient.Builder.class).observationRegistry(this.observations).build();
				// As Spring WebFlux's server observation does: the parent is in the Reactor
				// context, not current on the thread that subscribes.
				Observation parent = Observation.start("orders.lookup", this.observations);
				ReactiveTokenCacheContexts.callApi(client, this.idp)
					.contextWrite((reactorContext) -> reactorContext.put(ObservationThreadLocalAccessor.KEY, parent))
					.block(Duration.ofSeconds(10));
				parent.stop();

				TestObservationRegistryAssert.assertThat(this.observations)
					.hasObservationWithNameEqualTo("dexpace.token.requests")
					.that()
					.hasBeenStopped()
					.hasLowCardinalityKeyValue("outcome", "success");
				// token fetch < http.client.requests of the call < the caller's observation
				assertThat(this.fetches).singleElement().satisfies((fetch) -> {
					ObservationView call = fetch.getParentObservation();
					assertThat(call).isNotNull();
					assertThat(call.getContextView().getName()).isEqualTo("http.client.requests");
					assertThat(call.getContextView().getParentObservation()).isSameAs(parent);
				});
			});
	}

	@Test
	void tokenFetchOfABlockingCallIsAnObservationUnderTheObservationCurrentOnTheCallingThread() {
		TestObservationRegistry observations = this.observations;
		List<Observation.Context> fetches = this.fetches;
		TokenCacheContexts.runner(this.idp)
			.withConfiguration(AutoConfigurations.of(TokenCacheObservationAutoConfiguration.class))
			.withBean(ObservationRegistry.class, () -> observations)
			.run((context) -> {
				// As in an application: the RestClient observes its calls on the same registry.
				RestClient client = RestClient.builder()
					.requestInterceptor(context.getBean(TokenCacheClientHttpRequestInterceptor.class))
					.observationRegistry(observations)
					.build();
				Observation outer = Observation.createNotStarted("orders.lookup", observations);
				outer.observe(() -> ObservabilityContexts.call(client, this.idp, "api"));
				Observation.createNotStarted("orders.lookup", observations)
					.observe(() -> ObservabilityContexts.call(client, this.idp, "api"));

				TestObservationRegistryAssert.assertThat(observations)
					.hasNumberOfObservationsWithNameEqualTo("dexpace.token.requests", 1)
					.hasObservationWithNameEqualTo("dexpace.token.requests")
					.that()
					.hasContextualNameEqualTo("token fetch")
					.hasBeenStarted()
					.hasBeenStopped()
					.hasLowCardinalityKeyValue("registration", "api")
					.hasLowCardinalityKeyValue("outcome", "success")
					.hasParentObservation();
				// token fetch < http.client.requests of the call < the caller's observation
				assertThat(fetches).singleElement().satisfies((fetch) -> {
					ObservationView call = fetch.getParentObservation();
					assertThat(call.getContextView().getName()).isEqualTo("http.client.requests");
					assertThat(call.getContextView().getParentObservation()).isSameAs(outer);
				});
			});
	}

}
