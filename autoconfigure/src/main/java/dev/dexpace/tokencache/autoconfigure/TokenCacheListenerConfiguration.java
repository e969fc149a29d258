package dev.dexpace.tokencache.autoconfigure;

import dev.dexpace.tokencache.TokenCache;
import dev.dexpace.tokencache.TokenCacheListener;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Wires {@link TokenCacheListener} beans into the caches and the manager, and logs the
 * active configuration once at start-up.
 */
@Configuration(proxyBeanMethods = false)
class TokenCacheListenerConfiguration {

	@Bean
	TokenCacheListenerRegistrar tokenCacheListenerRegistrar(ListableBeanFactory beanFactory,
			ObjectProvider<TokenCacheListener> listeners) {
		return new TokenCacheListenerRegistrar(beanFactory, listeners);
	}

	@Bean
	TokenCacheStartupLog tokenCacheStartupLog(TokenCacheProperties properties,
			ObjectProvider<TokenCache> tokenCache, Environment environment, ObjectProvider<SslBundles> sslBundles) {
		return new TokenCacheStartupLog(properties, tokenCache, environment, sslBundles);
	}

}
