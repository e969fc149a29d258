package dev.dexpace.tokencache.sample;

import dev.dexpace.tokencache.TokenCache;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.service.registry.HttpServiceProxyRegistry;

/**
 * The client side: the registration the token cache's auto-configuration picks up, and
 * the comparison that drives every client.
 */
@Configuration(proxyBeanMethods = false)
class ClientConfiguration {

	@Bean
	LocalClientRegistrationRepository clientRegistrationRepository(Environment environment) {
		return new LocalClientRegistrationRepository(environment);
	}

	@Bean
	Comparison comparison(ObjectProvider<RestClient.Builder> restClientBuilder,
			ObjectProvider<WebClient.Builder> webClientBuilder, HttpServiceProxyRegistry httpServices,
			StockAuthorizedClients stockHttpServiceClients, LocalClientRegistrationRepository registrations,
			TokenCache tokenCache, TokenRequestCounter tokenRequests, RevokedTokens revokedTokens,
			SampleProperties properties, Environment environment, MeterRegistry meterRegistry) {
		return new Comparison(restClientBuilder, webClientBuilder, httpServices, stockHttpServiceClients,
				registrations, tokenCache, tokenRequests, revokedTokens, properties, environment, meterRegistry);
	}

}
