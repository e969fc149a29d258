package dev.dexpace.tokencache.test;

import java.time.Duration;
import java.util.function.Supplier;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenKey;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;

/**
 * The two façades of the starter, for tests of a behaviour both must share: calls through
 * the auto-configured {@code RestClient} in a non-reactive application, and through the
 * auto-configured {@code WebClient} in a reactive web application. A test parameterized
 * with {@code @EnumSource(Facade.class)} runs once per façade from one source.
 */
public enum Facade {

	/**
	 * Blocking: {@code RestClient} and the blocking manager in a non-reactive application.
	 */
	REST_CLIENT("RestClient") {

		@Override
		public Runner runner(TestIdentityProvider idp) {
			return new Runner(TokenCacheContexts.runner(idp), null);
		}

		@Override
		public void call(ApplicationContext context, TestIdentityProvider idp, String registrationId) {
			TokenCacheContexts.restClient(context)
				.get()
				.uri(idp.apiUri())
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId(registrationId))
				.retrieve()
				.toBodilessEntity();
		}

		@Override
		public @Nullable OAuth2AuthorizedClient authorize(ApplicationContext context, OAuth2AuthorizeRequest request) {
			return context.getBean(OAuth2AuthorizedClientManager.class).authorize(request);
		}

		@Override
		public @Nullable CachedToken cached(ApplicationContext context, TokenKey key) {
			return context.getBean(TokenCache.class).get(key);
		}

	},

	/**
	 * Reactive: {@code WebClient} and the reactive manager in a reactive web application.
	 */
	WEB_CLIENT("WebClient") {

		@Override
		public Runner runner(TestIdentityProvider idp) {
			return new Runner(null, ReactiveTokenCacheContexts.reactiveRunner(idp));
		}

		@Override
		public void call(ApplicationContext context, TestIdentityProvider idp, String registrationId) {
			ReactiveTokenCacheContexts.webClient(context)
				.get()
				.uri(idp.apiUri())
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId(registrationId))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT);
		}

		@Override
		public @Nullable OAuth2AuthorizedClient authorize(ApplicationContext context, OAuth2AuthorizeRequest request) {
			return context.getBean(ReactiveOAuth2AuthorizedClientManager.class).authorize(request).block(WAIT);
		}

		@Override
		public @Nullable CachedToken cached(ApplicationContext context, TokenKey key) {
			return context.getBean(ReactiveTokenCache.class).get(key).block(WAIT);
		}

	};

	/**
	 * How long a reactive call may take before the test fails: a guard, never a measure.
	 */
	public static final Duration WAIT = Duration.ofSeconds(30);

	private final String client;

	Facade(String client) {
		this.client = client;
	}

	/**
	 * A context runner of this façade with the registrations of
	 * {@link TokenCacheContexts#registrationProperties(TestIdentityProvider)}.
	 * @param idp the identity provider
	 * @return the runner
	 */
	public abstract Runner runner(TestIdentityProvider idp);

	/**
	 * Call the identity provider's API through a registration, and wait for the answer.
	 * @param context the context of {@link #runner(TestIdentityProvider)}
	 * @param idp the identity provider
	 * @param registrationId the registration
	 */
	public abstract void call(ApplicationContext context, TestIdentityProvider idp, String registrationId);

	/**
	 * Call the identity provider's API through the {@code api} registration.
	 * @param context the context of {@link #runner(TestIdentityProvider)}
	 * @param idp the identity provider
	 */
	public void callApi(ApplicationContext context, TestIdentityProvider idp) {
		call(context, idp, "api");
	}

	/**
	 * Authorize through the context's manager of this façade, and wait for the answer.
	 * @param context the context of {@link #runner(TestIdentityProvider)}
	 * @param request the request
	 * @return the authorized client
	 */
	public abstract @Nullable OAuth2AuthorizedClient authorize(ApplicationContext context,
			OAuth2AuthorizeRequest request);

	/**
	 * What the cache of this façade's calls (the blocking or the reactive one) holds.
	 * @param context the context of {@link #runner(TestIdentityProvider)}
	 * @param key the key
	 * @return the cached token, or {@code null}
	 */
	public abstract @Nullable CachedToken cached(ApplicationContext context, TokenKey key);

	/**
	 * The HTTP client of the façade, which names the test invocations and figures.
	 * @return {@code RestClient} or {@code WebClient}
	 */
	@Override
	public String toString() {
		return this.client;
	}

	/**
	 * A context runner of either façade: the blocking or the reactive web one.
	 */
	public static final class Runner {

		private final @Nullable ApplicationContextRunner blocking;

		private final @Nullable ReactiveWebApplicationContextRunner reactive;

		private Runner(@Nullable ApplicationContextRunner blocking, @Nullable ReactiveWebApplicationContextRunner reactive) {
			this.blocking = blocking;
			this.reactive = reactive;
		}

		/**
		 * Add property values.
		 * @param pairs {@code key=value} pairs
		 * @return a new runner
		 */
		public Runner withPropertyValues(String... pairs) {
			return (this.blocking != null) ? new Runner(this.blocking.withPropertyValues(pairs), null)
					: new Runner(null, reactive().withPropertyValues(pairs));
		}

		/**
		 * Add auto-configurations.
		 * @param configurations the auto-configurations
		 * @return a new runner
		 */
		public Runner withConfiguration(AutoConfigurations configurations) {
			return (this.blocking != null) ? new Runner(this.blocking.withConfiguration(configurations), null)
					: new Runner(null, reactive().withConfiguration(configurations));
		}

		/**
		 * Register a bean.
		 * @param <T> the type of the bean
		 * @param type the type of the bean
		 * @param supplier creates the bean
		 * @return a new runner
		 */
		public <T> Runner withBean(Class<T> type, Supplier<T> supplier) {
			return (this.blocking != null) ? new Runner(this.blocking.withBean(type, supplier), null)
					: new Runner(null, reactive().withBean(type, supplier));
		}

		/**
		 * Add Spring Boot's metrics, observation and endpoint auto-configuration, the
		 * exposed {@code tokencache} endpoint and the second registration {@code other}, as
		 * {@link ObservabilityContexts#withObservability(ApplicationContextRunner)} does.
		 * @return a new runner
		 */
		public Runner withObservability() {
			return withConfiguration(ObservabilityContexts.OBSERVABILITY_CONFIGURATIONS)
				.withPropertyValues(ObservabilityContexts.OBSERVABILITY_PROPERTIES);
		}

		/**
		 * Run the context and hand it to the test.
		 * @param test the test
		 */
		public void run(ContextConsumer<ApplicationContext> test) {
			if (this.blocking != null) {
				this.blocking.run(test::accept);
			}
			else {
				reactive().run(test::accept);
			}
		}

		private ReactiveWebApplicationContextRunner reactive() {
			if (this.reactive == null) {
				throw new IllegalStateException("Neither runner");
			}
			return this.reactive;
		}

	}

}
