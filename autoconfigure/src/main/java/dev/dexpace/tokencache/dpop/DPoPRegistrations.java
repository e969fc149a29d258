package dev.dexpace.tokencache.dpop;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.endpoint.OAuth2AccessTokenResponse;

/**
 * Which client registrations use DPoP (RFC 9449), with which key, and every decision the
 * token clients and the outgoing-call clients share about it, so that RestClient,
 * WebClient, RestTemplate, Feign and HTTP service clients behave alike:
 * <ul>
 * <li>a token request of such a registration carries a proof
 * ({@link #tokenRequestHeaders(ClientRegistration)}), and is sent once more when the
 * identity provider answers {@code use_dpop_nonce} ({@link #retryForNonce});</li>
 * <li>a token response that is not {@code token_type=DPoP} is an error unless the
 * registration allows a bearer token ({@link #checked});</li>
 * <li>a call with a DPoP token sends {@code Authorization: DPoP …} and a fresh proof with
 * {@code ath} ({@link #authorize}); a {@code 401} whose challenge says
 * {@code use_dpop_nonce} is sent once more with the nonce and deletes nothing
 * ({@link #nonceChallenged}).</li>
 * </ul>
 * Nonces are kept per server (origin) and shared by all registrations, those of
 * authorization servers (RFC 9449 section 8) apart from those of resource servers
 * (section 9): an identity provider and an API on one origin each keep their own, so a
 * proof to one never carries the other's.
 *
 * @since 0.1.0
 */
public final class DPoPRegistrations {

	/**
	 * The {@code DPoP} request header that carries a proof, and the token type.
	 */
	public static final String DPOP_HEADER = "DPoP";

	/**
	 * The response header that carries a server's nonce.
	 */
	public static final String NONCE_HEADER = "DPoP-Nonce";

	/**
	 * The error a server answers when a proof must carry its (new) nonce.
	 */
	public static final String USE_DPOP_NONCE = "use_dpop_nonce";

	private static final DPoPRegistrations NONE = new DPoPRegistrations(Map.of());

	private final Map<String, Binding> bindings;

	private final DPoPNonces tokenEndpointNonces = new DPoPNonces();

	private final DPoPNonces resourceServerNonces = new DPoPNonces();

	/**
	 * Create the DPoP settings of the registrations that use it.
	 * @param bindings the key and bearer policy, by registration id; a registration that
	 * is not named sends bearer tokens as before
	 */
	public DPoPRegistrations(Map<String, Binding> bindings) {
		this.bindings = Map.copyOf(bindings);
	}

	/**
	 * Return settings under which no registration uses DPoP.
	 * @return the settings
	 */
	public static DPoPRegistrations none() {
		return NONE;
	}

	/**
	 * Return whether any registration uses DPoP.
	 * @return whether DPoP is on for at least one registration
	 */
	public boolean isEmpty() {
		return this.bindings.isEmpty();
	}

	/**
	 * Return the JWK thumbprint of the key a registration's tokens are bound to.
	 * @param registrationId the registration id
	 * @return the thumbprint, or {@code null} when the registration does not use DPoP
	 */
	public @Nullable String thumbprint(String registrationId) {
		Binding binding = this.bindings.get(registrationId);
		return (binding != null) ? binding.proofs().thumbprint() : null;
	}

	/**
	 * Return the headers a token request of a registration carries beyond Spring
	 * Security's: a {@code DPoP} proof for {@code POST} to the token endpoint, with the
	 * identity provider's nonce if it gave one.
	 * @param registration the registration
	 * @return the headers, empty when the registration does not use DPoP
	 */
	public HttpHeaders tokenRequestHeaders(ClientRegistration registration) {
		HttpHeaders headers = new HttpHeaders();
		Binding binding = this.bindings.get(registration.getRegistrationId());
		String tokenUri = registration.getProviderDetails().getTokenUri();
		if (binding != null && tokenUri != null) {
			URI uri = URI.create(tokenUri);
			headers.set(DPOP_HEADER,
					binding.proofs().proof(HttpMethod.POST.name(), uri, null, this.tokenEndpointNonces.get(uri)));
		}
		return headers;
	}

	/**
	 * Remember the nonce a token endpoint's response carries, if any. Every response to a
	 * token request with a proof goes through here: an authorization server may hand out
	 * a new nonce at any time.
	 * @param uri the token request URI
	 * @param headers the response headers
	 * @return whether the response carried a nonce
	 */
	public boolean nonceReceived(URI uri, HttpHeaders headers) {
		return this.tokenEndpointNonces.put(uri, headers.getFirst(NONCE_HEADER));
	}

	/**
	 * Remember the nonce the response to a call of a registration carries, if the
	 * registration uses DPoP.
	 * @param registrationId the registration id
	 * @param uri the URI of the call
	 * @param headers the response headers
	 */
	public void nonceReceived(String registrationId, URI uri, HttpHeaders headers) {
		if (this.bindings.containsKey(registrationId)) {
			this.resourceServerNonces.put(uri, headers.getFirst(NONCE_HEADER));
		}
	}

	/**
	 * Return whether a failed token request should be sent once more: the registration
	 * uses DPoP and the identity provider answered {@code use_dpop_nonce} (its nonce is
	 * already remembered by {@link #nonceReceived(URI, HttpHeaders)}).
	 * @param registrationId the registration id
	 * @param failure what the token request threw
	 * @return whether to send the request once more
	 */
	public boolean retryForNonce(String registrationId, Throwable failure) {
		return this.bindings.containsKey(registrationId) && failure instanceof OAuth2AuthorizationException oauth2
				&& USE_DPOP_NONCE.equals(oauth2.getError().getErrorCode());
	}

	/**
	 * Check the token type of a response to a registration's token request.
	 * @param registrationId the registration id
	 * @param response the token response
	 * @return the response
	 * @throws OAuth2AuthorizationException ({@code invalid_token_response}) when DPoP was
	 * asked for, the token is not a DPoP token and the registration does not allow a
	 * bearer token
	 */
	public OAuth2AccessTokenResponse checked(String registrationId, OAuth2AccessTokenResponse response) {
		Binding binding = this.bindings.get(registrationId);
		if (binding == null || binding.bearerAllowed() || OAuth2AccessToken.TokenType.DPOP.getValue()
			.equalsIgnoreCase(response.getAccessToken().getTokenType().getValue())) {
			return response;
		}
		throw new OAuth2AuthorizationException(new OAuth2Error("invalid_token_response",
				"Registration '" + registrationId + "' asked for a DPoP-bound token and the identity provider issued a "
						+ response.getAccessToken().getTokenType().getValue()
						+ " token; allow it with dpop.allow-bearer=true",
				null));
	}

	/**
	 * Set the {@code Authorization} header of a call: {@code DPoP …} and a fresh
	 * {@code DPoP} proof for a DPoP token of a registration that uses DPoP,
	 * {@code Bearer …} otherwise.
	 * @param registrationId the registration id
	 * @param method the HTTP method of the call
	 * @param uri the URI of the call
	 * @param token the access token
	 * @param headers the headers of the call
	 */
	public void authorize(String registrationId, String method, URI uri, OAuth2AccessToken token,
			HttpHeaders headers) {
		Binding binding = this.bindings.get(registrationId);
		if (binding == null || !OAuth2AccessToken.TokenType.DPOP.equals(token.getTokenType())) {
			headers.setBearerAuth(token.getTokenValue());
			return;
		}
		headers.set(HttpHeaders.AUTHORIZATION, DPOP_HEADER + ' ' + token.getTokenValue());
		headers.set(DPOP_HEADER,
				binding.proofs().proof(method, uri, token.getTokenValue(), this.resourceServerNonces.get(uri)));
	}

	/**
	 * Read the response to a call: remember a nonce it carries, and tell whether it is a
	 * {@code 401} that asks for a proof with that nonce ({@code WWW-Authenticate: DPoP
	 * error="use_dpop_nonce"}), which is sent once more and deletes nothing.
	 * @param registrationId the registration id
	 * @param uri the URI of the call
	 * @param status the response status
	 * @param headers the response headers
	 * @return whether to send the call once more with the same token and a new proof
	 */
	public boolean nonceChallenged(String registrationId, URI uri, HttpStatusCode status, HttpHeaders headers) {
		if (!this.bindings.containsKey(registrationId)) {
			return false;
		}
		boolean received = this.resourceServerNonces.put(uri, headers.getFirst(NONCE_HEADER));
		return received && status.value() == 401 && USE_DPOP_NONCE.equals(challengeError(headers));
	}

	/**
	 * Return the {@code error} of the {@code DPoP} challenge of a response, or
	 * {@code null}.
	 * @param headers the response headers
	 * @return the error
	 */
	public static @Nullable String challengeError(HttpHeaders headers) {
		for (String challenge : headers.getOrEmpty(HttpHeaders.WWW_AUTHENTICATE)) {
			String error = error(challenge, "dpop");
			if (error != null) {
				return error;
			}
		}
		return null;
	}

	/**
	 * Return the {@code error} parameter of a challenge of the given scheme, or
	 * {@code null}.
	 * @param challenge the {@code WWW-Authenticate} value
	 * @param scheme the scheme, lower case
	 * @return the error
	 */
	public static @Nullable String error(String challenge, String scheme) {
		String trimmed = challenge.trim();
		if (!trimmed.toLowerCase(Locale.ROOT).startsWith(scheme)
				|| (trimmed.length() > scheme.length() && trimmed.charAt(scheme.length()) != ' ')) {
			return null;
		}
		for (String parameter : trimmed.substring(scheme.length()).split(",")) {
			int equals = parameter.indexOf('=');
			if (equals > 0 && "error".equalsIgnoreCase(parameter.substring(0, equals).trim())) {
				return parameter.substring(equals + 1).trim().replace("\"", "");
			}
		}
		return null;
	}

	@Override
	public String toString() {
		return "DPoPRegistrations" + this.bindings;
	}

	/**
	 * How one registration uses DPoP.
	 *
	 * @param proofs the key its proofs are signed with
	 * @param bearerAllowed whether a bearer token is accepted when the identity provider
	 * does not bind the token
	 */
	public record Binding(DPoPProofs proofs, boolean bearerAllowed) {

	}

}
