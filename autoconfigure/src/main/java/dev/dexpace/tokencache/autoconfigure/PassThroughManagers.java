package dev.dexpace.tokencache.autoconfigure;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;
import dev.dexpace.tokencache.oauth2.NoStoreReactiveOAuth2AuthorizedClientService;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.core.ResolvableType;
import org.springframework.security.oauth2.client.AuthorizationCodeOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.AuthorizationCodeReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ClientCredentialsOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.ClientCredentialsReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.DelegatingOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.DelegatingReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.JwtBearerOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.JwtBearerReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.RefreshTokenOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.RefreshTokenReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.TokenExchangeOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.TokenExchangeReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.endpoint.JwtBearerGrantRequest;
import org.springframework.security.oauth2.client.endpoint.OAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.OAuth2ClientCredentialsGrantRequest;
import org.springframework.security.oauth2.client.endpoint.OAuth2RefreshTokenGrantRequest;
import org.springframework.security.oauth2.client.endpoint.ReactiveOAuth2AccessTokenResponseClient;
import org.springframework.security.oauth2.client.endpoint.TokenExchangeGrantRequest;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.AuthenticatedPrincipalOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.DefaultReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.server.AuthenticatedPrincipalServerOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.server.ServerOAuth2AuthorizedClientRepository;
import org.springframework.util.ClassUtils;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.server.ServerWebExchange;

/**
 * The managers for the requests the token cache does not key (authorization_code logins
 * and their refresh tokens, and any grant a {@code TokenKeyResolver} leaves alone). They
 * are the managers Spring Security would register if the starter did not declare one:
 * Spring Security backs off its default {@code DefaultOAuth2AuthorizedClientManager} as
 * soon as any manager bean exists, so the starter builds the same one itself.
 * <p>
 * As in Spring Security's {@code OAuth2ClientConfiguration}: the providers are
 * authorization_code, refresh_token and client_credentials, plus jwt-bearer and
 * token-exchange where the application declares their token response clients, plus any
 * other {@link OAuth2AuthorizedClientProvider} bean (or the application's one
 * {@link DelegatingOAuth2AuthorizedClientProvider} alone); token response client beans
 * for the refresh_token and client_credentials grants are used, refresh events are
 * published (OpenID Connect logins refresh their user from them), and a
 * {@code Consumer<DefaultOAuth2AuthorizedClientManager>} bean is applied. Within a
 * servlet request the manager works on the application's
 * {@link OAuth2AuthorizedClientRepository} (Boot's keeps anonymous users' clients in the
 * HTTP session); outside one (a scheduled job) on the {@link OAuth2AuthorizedClientService},
 * as an {@link AuthorizedClientServiceOAuth2AuthorizedClientManager} would. The reactive
 * twin does the same with the {@link ServerOAuth2AuthorizedClientRepository} of a
 * {@link ServerWebExchange}.
 */
final class PassThroughManagers {

	private static final boolean servletPresent = ClassUtils.isPresent("jakarta.servlet.http.HttpServletRequest",
			PassThroughManagers.class.getClassLoader());

	private static final Set<Class<?>> KNOWN_PROVIDERS = Set.of(AuthorizationCodeOAuth2AuthorizedClientProvider.class,
			RefreshTokenOAuth2AuthorizedClientProvider.class, ClientCredentialsOAuth2AuthorizedClientProvider.class,
			JwtBearerOAuth2AuthorizedClientProvider.class, TokenExchangeOAuth2AuthorizedClientProvider.class);

	private static final Set<Class<?>> KNOWN_REACTIVE_PROVIDERS = Set.of(
			AuthorizationCodeReactiveOAuth2AuthorizedClientProvider.class,
			RefreshTokenReactiveOAuth2AuthorizedClientProvider.class,
			ClientCredentialsReactiveOAuth2AuthorizedClientProvider.class,
			JwtBearerReactiveOAuth2AuthorizedClientProvider.class,
			TokenExchangeReactiveOAuth2AuthorizedClientProvider.class);

	private PassThroughManagers() {
	}

	/**
	 * Build the blocking pass-through manager.
	 * @param beanFactory the bean factory that holds the application's repositories,
	 * services, providers and token response clients
	 * @param registrations the client registrations
	 * @param eventPublisher publishes the refresh_token provider's events
	 * @return the manager
	 */
	static OAuth2AuthorizedClientManager blocking(ListableBeanFactory beanFactory,
			ClientRegistrationRepository registrations, ApplicationEventPublisher eventPublisher) {
		OAuth2AuthorizedClientProvider provider = provider(beanFactory, eventPublisher);
		OAuth2AuthorizedClientService service = beanFactory.getBeanProvider(OAuth2AuthorizedClientService.class)
			.getIfUnique();
		// Without a service there is nowhere to keep a client outside a request: the
		// providers still run, and a login grant asks for an authorization.
		AuthorizedClientServiceOAuth2AuthorizedClientManager outsideRequest = new AuthorizedClientServiceOAuth2AuthorizedClientManager(
				registrations, (service != null) ? service : new NoStoreOAuth2AuthorizedClientService());
		outsideRequest.setAuthorizedClientProvider(provider);
		if (!servletPresent) {
			return outsideRequest;
		}
		OAuth2AuthorizedClientManager inRequest = Servlet.requestManager(beanFactory, registrations, service,
				provider);
		return (inRequest != null) ? new Servlet.RequestAwareManager(inRequest, outsideRequest) : outsideRequest;
	}

	/**
	 * Build the reactive pass-through manager.
	 * @param beanFactory the bean factory that holds the application's repositories,
	 * services, providers and token response clients
	 * @param registrations the client registrations
	 * @return the manager
	 */
	static ReactiveOAuth2AuthorizedClientManager reactive(ListableBeanFactory beanFactory,
			ReactiveClientRegistrationRepository registrations) {
		ReactiveOAuth2AuthorizedClientProvider provider = reactiveProvider(beanFactory);
		ReactiveOAuth2AuthorizedClientService service = beanFactory
			.getBeanProvider(ReactiveOAuth2AuthorizedClientService.class)
			.getIfUnique();
		AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager outsideExchange = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(
				registrations, (service != null) ? service : new NoStoreReactiveOAuth2AuthorizedClientService());
		outsideExchange.setAuthorizedClientProvider(provider);
		ServerOAuth2AuthorizedClientRepository repository = repository(beanFactory,
				ServerOAuth2AuthorizedClientRepository.class, service,
				AuthenticatedPrincipalServerOAuth2AuthorizedClientRepository::new);
		if (repository == null) {
			return outsideExchange;
		}
		DefaultReactiveOAuth2AuthorizedClientManager inExchange = new DefaultReactiveOAuth2AuthorizedClientManager(
				registrations, repository);
		inExchange.setAuthorizedClientProvider(provider);
		customize(beanFactory, DefaultReactiveOAuth2AuthorizedClientManager.class, inExchange);
		return new ExchangeAwareManager(inExchange, outsideExchange);
	}

	private static OAuth2AuthorizedClientProvider provider(ListableBeanFactory beanFactory,
			ApplicationEventPublisher eventPublisher) {
		Grants<OAuth2AuthorizedClientProvider> grants = new Grants<>(beanFactory, OAuth2AuthorizedClientProvider.class,
				OAuth2AccessTokenResponseClient.class);
		if (grants.beans.size() == 1
				&& grants.beans.iterator().next() instanceof DelegatingOAuth2AuthorizedClientProvider only) {
			return only;
		}
		grants.add(AuthorizationCodeOAuth2AuthorizedClientProvider.class,
				AuthorizationCodeOAuth2AuthorizedClientProvider::new);
		RefreshTokenOAuth2AuthorizedClientProvider refreshToken = grants.add(
				RefreshTokenOAuth2AuthorizedClientProvider.class, RefreshTokenOAuth2AuthorizedClientProvider::new, true,
				OAuth2RefreshTokenGrantRequest.class,
				RefreshTokenOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		if (refreshToken != null) {
			refreshToken.setApplicationEventPublisher(eventPublisher);
		}
		grants.add(ClientCredentialsOAuth2AuthorizedClientProvider.class,
				ClientCredentialsOAuth2AuthorizedClientProvider::new, true, OAuth2ClientCredentialsGrantRequest.class,
				ClientCredentialsOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		grants.add(JwtBearerOAuth2AuthorizedClientProvider.class, JwtBearerOAuth2AuthorizedClientProvider::new, false,
				JwtBearerGrantRequest.class, JwtBearerOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		grants.add(TokenExchangeOAuth2AuthorizedClientProvider.class, TokenExchangeOAuth2AuthorizedClientProvider::new,
				false, TokenExchangeGrantRequest.class,
				TokenExchangeOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		return new DelegatingOAuth2AuthorizedClientProvider(grants.andOthers(KNOWN_PROVIDERS));
	}

	private static ReactiveOAuth2AuthorizedClientProvider reactiveProvider(ListableBeanFactory beanFactory) {
		Grants<ReactiveOAuth2AuthorizedClientProvider> grants = new Grants<>(beanFactory,
				ReactiveOAuth2AuthorizedClientProvider.class, ReactiveOAuth2AccessTokenResponseClient.class);
		if (grants.beans.size() == 1
				&& grants.beans.iterator().next() instanceof DelegatingReactiveOAuth2AuthorizedClientProvider only) {
			return only;
		}
		grants.add(AuthorizationCodeReactiveOAuth2AuthorizedClientProvider.class,
				AuthorizationCodeReactiveOAuth2AuthorizedClientProvider::new);
		grants.add(RefreshTokenReactiveOAuth2AuthorizedClientProvider.class,
				RefreshTokenReactiveOAuth2AuthorizedClientProvider::new, true, OAuth2RefreshTokenGrantRequest.class,
				RefreshTokenReactiveOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		grants.add(ClientCredentialsReactiveOAuth2AuthorizedClientProvider.class,
				ClientCredentialsReactiveOAuth2AuthorizedClientProvider::new, true,
				OAuth2ClientCredentialsGrantRequest.class,
				ClientCredentialsReactiveOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		grants.add(JwtBearerReactiveOAuth2AuthorizedClientProvider.class,
				JwtBearerReactiveOAuth2AuthorizedClientProvider::new, false, JwtBearerGrantRequest.class,
				JwtBearerReactiveOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		grants.add(TokenExchangeReactiveOAuth2AuthorizedClientProvider.class,
				TokenExchangeReactiveOAuth2AuthorizedClientProvider::new, false, TokenExchangeGrantRequest.class,
				TokenExchangeReactiveOAuth2AuthorizedClientProvider::setAccessTokenResponseClient);
		return new DelegatingReactiveOAuth2AuthorizedClientProvider(grants.andOthers(KNOWN_REACTIVE_PROVIDERS));
	}

	/**
	 * The providers of a pass-through manager, blocking or reactive, in Spring Security's
	 * order: of each grant the application's provider bean, else a new one (always for
	 * the grants Spring Security always offers, for the others only when the application
	 * declares the grant's token response client), given that client when there is one.
	 *
	 * @param <P> the provider type
	 */
	private static final class Grants<P> {

		private final ListableBeanFactory beanFactory;

		private final Collection<P> beans;

		private final Class<?> clientType;

		private final List<P> providers = new ArrayList<>();

		Grants(ListableBeanFactory beanFactory, Class<P> providerType, Class<?> clientType) {
			this.beanFactory = beanFactory;
			this.beans = BeanFactoryUtils.beansOfTypeIncludingAncestors(beanFactory, providerType, true, true).values();
			this.clientType = clientType;
		}

		<T extends P> void add(Class<T> type, Supplier<T> create) {
			T provider = single(this.beans, type);
			this.providers.add((provider != null) ? provider : create.get());
		}

		<T extends P, C> @Nullable T add(Class<T> type, Supplier<T> create, boolean always, Class<?> grantRequest,
				BiConsumer<T, C> setClient) {
			T provider = single(this.beans, type);
			C client = beanOfType(this.beanFactory, ResolvableType.forClassWithGenerics(this.clientType, grantRequest));
			if (provider == null && (always || client != null)) {
				provider = create.get();
			}
			if (provider != null) {
				if (client != null) {
					setClient.accept(provider, client);
				}
				this.providers.add(provider);
			}
			return provider;
		}

		/**
		 * Return the providers, followed by every other provider bean.
		 */
		List<P> andOthers(Set<Class<?>> known) {
			this.beans.stream().filter((bean) -> !known.contains(bean.getClass())).forEach(this.providers::add);
			return this.providers;
		}

	}

	/**
	 * The one provider bean of a type, or {@code null}; two of the same type are
	 * ambiguous, as they are to Spring Security.
	 */
	private static <P, T extends P> @Nullable T single(Collection<P> beans, Class<T> type) {
		T found = null;
		for (P bean : beans) {
			if (type.isInstance(bean)) {
				if (found != null) {
					throw new BeanInitializationException("Unable to create the token cache's authorized client "
							+ "manager for logins: expected one bean of type " + type.getName()
							+ " but found several; declare only one, or an OAuth2AuthorizedClientManager bean");
				}
				found = type.cast(bean);
			}
		}
		return found;
	}

	private static <T> @Nullable T beanOfType(ListableBeanFactory beanFactory, ResolvableType type) {
		return beanFactory.<T>getBeanProvider(type, true).getIfAvailable();
	}

	/**
	 * Return the application's authorized client repository, else the one
	 * {@code oauth2Login()} and {@code oauth2Client()} would use over the service
	 * ({@code OAuth2ClientConfigurerUtils}), else none.
	 */
	private static <R, S> @Nullable R repository(ListableBeanFactory beanFactory, Class<R> type, @Nullable S service,
			Function<S, R> overService) {
		R repository = beanFactory.getBeanProvider(type).getIfUnique();
		return (repository == null && service != null) ? overService.apply(service) : repository;
	}

	/**
	 * Apply the application's {@code Consumer<M>} bean, if any, as Spring Security does.
	 */
	private static <M> void customize(ListableBeanFactory beanFactory, Class<M> type, M manager) {
		Consumer<M> customizer = beanOfType(beanFactory, ResolvableType.forClassWithGenerics(Consumer.class, type));
		if (customizer != null) {
			customizer.accept(manager);
		}
	}

	/**
	 * Servlet types, loaded only where the servlet API is.
	 */
	private static final class Servlet {

		private static @Nullable OAuth2AuthorizedClientManager requestManager(ListableBeanFactory beanFactory,
				ClientRegistrationRepository registrations, @Nullable OAuth2AuthorizedClientService service,
				OAuth2AuthorizedClientProvider provider) {
			// Boot declares the repository in servlet web applications.
			OAuth2AuthorizedClientRepository repository = repository(beanFactory,
					OAuth2AuthorizedClientRepository.class, service,
					AuthenticatedPrincipalOAuth2AuthorizedClientRepository::new);
			if (repository == null) {
				return null;
			}
			DefaultOAuth2AuthorizedClientManager manager = new DefaultOAuth2AuthorizedClientManager(registrations,
					repository);
			manager.setAuthorizedClientProvider(provider);
			customize(beanFactory, DefaultOAuth2AuthorizedClientManager.class, manager);
			return manager;
		}

		/**
		 * Within a servlet request (named by the authorize request, as Spring Security's
		 * argument resolver and filters do, or bound to the thread), the repository's
		 * manager; outside one, the service's.
		 */
		private record RequestAwareManager(OAuth2AuthorizedClientManager inRequest,
				OAuth2AuthorizedClientManager outsideRequest) implements OAuth2AuthorizedClientManager {

			@Override
			public @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest authorizeRequest) {
				boolean inRequest = authorizeRequest.getAttribute(HttpServletRequest.class.getName()) != null
						|| RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes;
				return (inRequest ? this.inRequest : this.outsideRequest).authorize(authorizeRequest);
			}

		}

	}

	/**
	 * Within a server exchange (named by the authorize request or in the subscriber's
	 * context, where Spring Security's web filters put it), the repository's manager;
	 * outside one, the service's.
	 */
	private record ExchangeAwareManager(ReactiveOAuth2AuthorizedClientManager inExchange,
			ReactiveOAuth2AuthorizedClientManager outsideExchange) implements ReactiveOAuth2AuthorizedClientManager {

		@Override
		public Mono<OAuth2AuthorizedClient> authorize(OAuth2AuthorizeRequest authorizeRequest) {
			if (authorizeRequest.getAttribute(ServerWebExchange.class.getName()) != null) {
				return this.inExchange.authorize(authorizeRequest);
			}
			return Mono.deferContextual((context) -> (context.hasKey(ServerWebExchange.class)
					? this.inExchange : this.outsideExchange).authorize(authorizeRequest));
		}

	}

}
