package dev.dexpace.tokencache.sample;

import org.springframework.security.oauth2.client.annotation.ClientRegistrationId;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;

/**
 * The API as an HTTP service client. {@link ClientRegistrationId @ClientRegistrationId}
 * names the registration whose token every call sends; the user is the one in the
 * calling thread's {@code SecurityContextHolder}.
 */
@HttpExchange("/api")
@ClientRegistrationId(LocalClientRegistrationRepository.REGISTRATION_ID)
interface GreetingService {

	@GetExchange("/greeting")
	String greeting();

}
