package dev.dexpace.tokencache.autoconfigure;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.dexpace.tokencache.oauth2.CachingOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.NoStoreOAuth2AuthorizedClientService;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.ObjectFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decorators of managers that are not singletons: one in a scope is closed when the scope
 * ends, its refresher threads with it; a prototype, which the container never destroys,
 * is left undecorated with a warning.
 */
@ExtendWith(OutputCaptureExtension.class)
class DecoratedScopesIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	@AfterEach
	void stopIdp() {
		this.idp.close();
	}

	@Test
	void theDecoratorOfAScopedManagerIsClosedWhenItsScopeEnds() {
		RecordingScope scope = new RecordingScope();
		TokenCacheContexts.runner(this.idp)
			.withInitializer((context) -> context.getBeanFactory().registerScope("conversation", scope))
			.withUserConfiguration(ScopedManagerConfiguration.class)
			.run((context) -> {
				Set<Thread> before = refresherThreads();
				OAuth2AuthorizedClientManager manager = context.getBean(OAuth2AuthorizedClientManager.class);
				assertThat(manager).isInstanceOf(CachingOAuth2AuthorizedClientManager.class);
				// On the system clock, a cached token's refresh timer starts a refresher thread.
				assertThat(manager.authorize(request())).isNotNull();
				Set<Thread> started = new HashSet<>(refresherThreads());
				started.removeAll(before);
				assertThat(started).isNotEmpty();
				scope.end();
				for (Thread thread : started) {
					thread.join(20_000);
					assertThat(thread.isAlive()).isFalse();
				}
			});
	}

	@Test
	void aPrototypeManagerIsLeftUndecoratedWithAWarning(CapturedOutput output) {
		TokenCacheContexts.runner(this.idp).withUserConfiguration(PrototypeManagerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(OAuth2AuthorizedClientManager.class))
				.isInstanceOf(AuthorizedClientServiceOAuth2AuthorizedClientManager.class);
			assertThat(output).contains("is a prototype", "it is not decorated with the token cache");
		});
	}

	private static Set<Thread> refresherThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().startsWith("token-cache-refresh-"))
			.collect(Collectors.toSet());
	}

	private static OAuth2AuthorizeRequest request() {
		return OAuth2AuthorizeRequest.withClientRegistrationId("api").principal("app").build();
	}

	private static AuthorizedClientServiceOAuth2AuthorizedClientManager manager(
			ClientRegistrationRepository registrations) {
		return new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations,
				new NoStoreOAuth2AuthorizedClientService());
	}

	@Configuration(proxyBeanMethods = false)
	static class ScopedManagerConfiguration {

		@Bean
		@Scope("conversation")
		AuthorizedClientServiceOAuth2AuthorizedClientManager authorizedClientManager(
				ClientRegistrationRepository registrations) {
			return manager(registrations);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class PrototypeManagerConfiguration {

		@Bean
		@Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
		AuthorizedClientServiceOAuth2AuthorizedClientManager authorizedClientManager(
				ClientRegistrationRepository registrations) {
			return manager(registrations);
		}

	}

	/**
	 * A scope of one conversation that runs the destruction callbacks registered with it
	 * when it ends, as the request and session scopes do.
	 */
	static final class RecordingScope implements org.springframework.beans.factory.config.Scope {

		private final Map<String, Object> beans = new HashMap<>();

		private final Map<String, Runnable> callbacks = new HashMap<>();

		@Override
		public synchronized Object get(String name, ObjectFactory<?> objectFactory) {
			return this.beans.computeIfAbsent(name, (key) -> objectFactory.getObject());
		}

		@Override
		public synchronized Object remove(String name) {
			this.callbacks.remove(name);
			return this.beans.remove(name);
		}

		@Override
		public synchronized void registerDestructionCallback(String name, Runnable callback) {
			this.callbacks.put(name, callback);
		}

		@Override
		public Object resolveContextualObject(String key) {
			return null;
		}

		@Override
		public String getConversationId() {
			return "conversation";
		}

		synchronized void end() {
			this.callbacks.values().forEach(Runnable::run);
			this.callbacks.clear();
			this.beans.clear();
		}

	}

}
