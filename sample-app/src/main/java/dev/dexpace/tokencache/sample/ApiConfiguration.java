package dev.dexpace.tokencache.sample;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.OAuth2AuthorizationServerConfiguration;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The downstream API: an OAuth2 resource server that accepts the JWTs of the embedded
 * authorization server, except those on its revocation list.
 */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

	@Bean
	@Order(2)
	SecurityFilterChain apiSecurityFilterChain(HttpSecurity http) {
		http.authorizeHttpRequests((requests) -> requests.requestMatchers("/api/**")
			.hasAuthority("SCOPE_" + AuthorizationServerConfiguration.SCOPE)
			.anyRequest()
			.denyAll());
		http.sessionManagement((sessions) -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
		http.oauth2ResourceServer((resourceServer) -> resourceServer.jwt((jwt) -> {
		}));
		return http.build();
	}

	@Bean
	RevokedTokens revokedTokens() {
		return new RevokedTokens();
	}

	@Bean
	JwtDecoder jwtDecoder(JWKSource<SecurityContext> jwkSource, RevokedTokens revokedTokens) {
		// Keys come from the in-process JWK source: no HTTP round trip to ourselves.
		JwtDecoder signatureChecking = OAuth2AuthorizationServerConfiguration.jwtDecoder(jwkSource);
		return (token) -> {
			Jwt jwt = signatureChecking.decode(token);
			if (revokedTokens.isRevoked(jwt)) {
				// Answered as 401 with error="invalid_token", as a real API would.
				throw new BadJwtException("The token has been revoked");
			}
			return jwt;
		};
	}

}
