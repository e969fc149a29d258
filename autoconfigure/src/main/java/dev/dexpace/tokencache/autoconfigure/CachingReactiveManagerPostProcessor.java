package dev.dexpace.tokencache.autoconfigure;

import java.time.Clock;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.expiry.TokenLifetimeResolver;
import dev.dexpace.tokencache.oauth2.CachingReactiveOAuth2AuthorizedClientManager;
import dev.dexpace.tokencache.oauth2.TokenKeyResolver;
import org.jspecify.annotations.Nullable;

import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;

/**
 * Puts the reactive token cache in front of a {@link ReactiveOAuth2AuthorizedClientManager}
 * the user declared, so that auto-configuration decorates it instead of replacing it; the
 * decorator is closed with the user's manager when the context closes.
 */
final class CachingReactiveManagerPostProcessor extends DecoratingPostProcessor {

	@Override
	protected @Nullable AutoCloseable decorate(Object bean) {
		if (bean instanceof ReactiveOAuth2AuthorizedClientManager manager
				&& !(bean instanceof CachingReactiveOAuth2AuthorizedClientManager)) {
			ReactiveTokenCache cache = getBeanFactory().getBean(ReactiveTokenCache.class);
			CachingReactiveOAuth2AuthorizedClientManager caching = new CachingReactiveOAuth2AuthorizedClientManager(
					manager, ReactiveClientRegistrations.of(getBeanFactory()), cache,
					getBeanFactory().getBean(TokenKeyResolver.class),
					getBeanFactory().getBean(TokenLifetimeResolver.class), Clock.systemUTC());
			getBeanFactory().getBean(TokenCacheProperties.class).applyTo(caching, cache);
			return caching;
		}
		return null;
	}

}
