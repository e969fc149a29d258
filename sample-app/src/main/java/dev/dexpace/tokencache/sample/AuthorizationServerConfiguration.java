package dev.dexpace.tokencache.sample;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The embedded Spring Authorization Server: one client that may use client_credentials,
 * and a counter of the requests its token endpoint receives.
 */
@Configuration(proxyBeanMethods = false)
class AuthorizationServerConfiguration {

	static final String CLIENT_ID = "sample-client";

	static final String CLIENT_SECRET = "sample-secret";

	static final String SCOPE = "api.read";

	static final String TOKEN_PATH = "/oauth2/token";

	@Bean
	@Order(1)
	SecurityFilterChain authorizationServerSecurityFilterChain(HttpSecurity http) {
		http.oauth2AuthorizationServer(
				(authorizationServer) -> http.securityMatcher(authorizationServer.getEndpointsMatcher()));
		http.authorizeHttpRequests((requests) -> requests.anyRequest().authenticated());
		return http.build();
	}

	@Bean
	InMemoryRegisteredClientRepository registeredClientRepository() {
		// Hashed, as an authorization server stores client secrets. Checking the hash is
		// part of what every token request costs, which is the cost the cache saves.
		RegisteredClient client = RegisteredClient.withId("sample-client-id")
			.clientId(CLIENT_ID)
			.clientSecret(PasswordEncoderFactories.createDelegatingPasswordEncoder().encode(CLIENT_SECRET))
			.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope(SCOPE)
			.build();
		return new InMemoryRegisteredClientRepository(client);
	}

	@Bean
	TokenRequestCounter tokenRequestCounter() {
		return new TokenRequestCounter();
	}

	@Bean
	FilterRegistrationBean<TokenRequestCounter> tokenRequestCounterRegistration(TokenRequestCounter counter) {
		// Ahead of Spring Security, whose token endpoint answers without calling the rest
		// of the chain.
		FilterRegistrationBean<TokenRequestCounter> registration = new FilterRegistrationBean<>(counter);
		registration.addUrlPatterns(TOKEN_PATH);
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		return registration;
	}

}
