package dev.dexpace.tokencache.autoconfigure;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;

/**
 * Finds the client registrations the reactive manager works with: the application's
 * {@link ReactiveClientRegistrationRepository} (reactive applications), else its blocking
 * {@link ClientRegistrationRepository} (servlet applications that use WebClient), read
 * in place when it is Spring Security's in-memory one and on the bounded elastic
 * scheduler otherwise, since its lookups may do I/O.
 */
final class ReactiveClientRegistrations {

	private ReactiveClientRegistrations() {
	}

	static ReactiveClientRegistrationRepository of(BeanFactory beanFactory) {
		return of(beanFactory.getBeanProvider(ReactiveClientRegistrationRepository.class),
				beanFactory.getBeanProvider(ClientRegistrationRepository.class));
	}

	/**
	 * Return the repository the registrations come from, reactive or blocking, as
	 * {@link #of(BeanFactory)} picks it.
	 * @param beanFactory the bean factory
	 * @return the repository, or {@code null} if there is none or several
	 */
	static @Nullable Object source(BeanFactory beanFactory) {
		ReactiveClientRegistrationRepository reactive = beanFactory
			.getBeanProvider(ReactiveClientRegistrationRepository.class)
			.getIfUnique();
		return (reactive != null) ? reactive
				: beanFactory.getBeanProvider(ClientRegistrationRepository.class).getIfUnique();
	}

	static ReactiveClientRegistrationRepository of(ObjectProvider<ReactiveClientRegistrationRepository> reactive,
			ObjectProvider<ClientRegistrationRepository> blocking) {
		ReactiveClientRegistrationRepository repository = reactive.getIfUnique();
		if (repository != null) {
			return repository;
		}
		ClientRegistrationRepository registrations = blocking.getObject();
		if (registrations instanceof InMemoryClientRegistrationRepository) {
			return (registrationId) -> Mono.fromSupplier(() -> registrations.findByRegistrationId(registrationId));
		}
		return (registrationId) -> Mono
			.<ClientRegistration>fromSupplier(() -> registrations.findByRegistrationId(registrationId))
			.subscribeOn(Schedulers.boundedElastic());
	}

}
