package dev.dexpace.tokencache.sample;

import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Opens the exposed actuator endpoints of this demo to anyone who can reach it, so that
 * {@code curl} shows the metrics and the token cache. Only acceptable in a sample that
 * runs on a developer's machine: a real application puts its actuator endpoints behind
 * authentication or on a management port that is not public.
 */
@Configuration(proxyBeanMethods = false)
class ActuatorConfiguration {

	@Bean
	@Order(0)
	SecurityFilterChain actuatorSecurityFilterChain(HttpSecurity http) {
		http.securityMatcher(EndpointRequest.toAnyEndpoint());
		http.authorizeHttpRequests((requests) -> requests.anyRequest().permitAll());
		// Stateless and without cookies: DELETE /actuator/tokencache needs no CSRF token.
		http.csrf((csrf) -> csrf.disable());
		http.sessionManagement((sessions) -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
		return http.build();
	}

}
