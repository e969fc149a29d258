package dev.dexpace.tokencache.http;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.client.web.reactive.function.client.support.OAuth2WebClientHttpServiceGroupConfigurer;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.support.WebClientHttpServiceGroupConfigurer;

/**
 * The {@code WebClient} twin of {@link TokenCacheRestClientHttpServiceGroupConfigurer}:
 * {@link ClientRegistrationId @ClientRegistrationId} on an HTTP service interface or
 * method works for every {@code WebClient} group, each group's client has the
 * {@link TokenCacheExchangeFilterFunction} exactly once, and the filters Spring Security's
 * {@link OAuth2WebClientHttpServiceGroupConfigurer} adds
 * ({@link ServerOAuth2AuthorizedClientExchangeFilterFunction},
 * {@code ServletOAuth2AuthorizedClientExchangeFilterFunction}) are taken off, so that a
 * call looks its token up once and gets the cache's 401 handling. An excluded group is
 * left as it would be without the token cache, as with {@code RestClient} groups.
 *
 * @since 0.1.0
 */
public final class TokenCacheWebClientHttpServiceGroupConfigurer
		extends TokenCacheHttpServiceGroupConfigurer<WebClient.Builder, ExchangeFilterFunction>
		implements WebClientHttpServiceGroupConfigurer {

	/**
	 * Create a configurer.
	 * @param filter the filter every group's client gets
	 */
	public TokenCacheWebClientHttpServiceGroupConfigurer(TokenCacheExchangeFilterFunction filter) {
		this(filter, Set.of());
	}

	/**
	 * Create a configurer that leaves some groups alone.
	 * @param filter the filter every other group's client gets
	 * @param excludedGroups names of the groups left as they would be without the token
	 * cache
	 * @since 0.1.0
	 */
	public TokenCacheWebClientHttpServiceGroupConfigurer(TokenCacheExchangeFilterFunction filter,
			Collection<String> excludedGroups) {
		super(filter, excludedGroups);
	}

	@Override
	void authorizers(WebClient.Builder builder, Consumer<List<ExchangeFilterFunction>> change) {
		builder.filters(change);
	}

	@Override
	boolean isSpringSecurity(ExchangeFilterFunction filter) {
		// The servlet filter needs the servlet API; a reactive application may not have it.
		return filter instanceof ServerOAuth2AuthorizedClientExchangeFilterFunction || filter.getClass()
			.getName()
			.equals("org.springframework.security.oauth2.client.web.reactive.function.client.ServletOAuth2AuthorizedClientExchangeFilterFunction");
	}

}
