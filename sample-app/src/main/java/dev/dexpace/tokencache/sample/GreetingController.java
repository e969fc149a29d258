package dev.dexpace.tokencache.sample;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The API endpoint the clients call.
 */
@RestController
class GreetingController {

	private final RevokedTokens revokedTokens;

	GreetingController(RevokedTokens revokedTokens) {
		this.revokedTokens = revokedTokens;
	}

	@GetMapping("/api/greeting")
	String greeting(@AuthenticationPrincipal Jwt jwt) {
		this.revokedTokens.served(jwt);
		return "Hello, " + jwt.getSubject();
	}

}
