package dev.dexpace.tokencache.endpoint;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.stream.Collectors;

import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * Keeps the secrets of token requests out of Spring's debug log. {@code RestClient} logs
 * every request body it writes at DEBUG ({@code "Writing [{grant_type=[...],
 * subject_token=[...]}]"}), and Spring Security's token response clients hand it the form
 * parameters as a plain map, so {@code logging.level.org.springframework.web.client=DEBUG}
 * would print subject tokens, JWT assertions and client secrets. The token RestClient is
 * wrapped so that a form body is written as a copy whose {@code toString()} hides those
 * values; what is sent is unchanged.
 */
final class RedactedTokenRequests {

	/**
	 * Form parameters that hold a secret (RFC 6749, 7523, 8693).
	 */
	static final Set<String> SECRET_PARAMETERS = Set.of("client_secret", "client_assertion", "assertion",
			"subject_token", "actor_token", "refresh_token", "code", "code_verifier", "password");

	private RedactedTokenRequests() {
	}

	/**
	 * Wrap a RestClient so the form bodies of its POST requests never show a secret.
	 * @param restClient the RestClient
	 * @return the wrapped RestClient
	 */
	static RestClient of(RestClient restClient) {
		return proxy(RestClient.class, restClient);
	}

	@SuppressWarnings("unchecked")
	private static <T> T proxy(Class<T> type, T target) {
		InvocationHandler handler = (proxy, method, args) -> {
			if (type == RestClient.RequestBodyUriSpec.class && method.getName().equals("body") && args != null
					&& args.length == 1 && args[0] instanceof MultiValueMap<?, ?> form) {
				args = new Object[] { new RedactedForm((MultiValueMap<String, String>) form) };
			}
			Object result;
			try {
				result = method.invoke(target, args);
			}
			catch (InvocationTargetException ex) {
				throw ex.getCause();
			}
			if (result == target) {
				return proxy;
			}
			return (type == RestClient.class && method.getName().equals("post"))
					? proxy(RestClient.RequestBodyUriSpec.class, (RestClient.RequestBodyUriSpec) result) : result;
		};
		return (T) Proxy.newProxyInstance(RedactedTokenRequests.class.getClassLoader(), new Class<?>[] { type },
				handler);
	}

	/**
	 * Form parameters whose {@code toString()} hides secret values.
	 */
	static final class RedactedForm extends LinkedMultiValueMap<String, String> {

		RedactedForm(MultiValueMap<String, String> parameters) {
			super(parameters);
		}

		@Override
		public String toString() {
			return entrySet().stream()
				.map((entry) -> entry.getKey() + "=" + (SECRET_PARAMETERS.contains(entry.getKey()) ? "[<redacted>]"
						: String.valueOf(entry.getValue())))
				.collect(Collectors.joining(", ", "{", "}"));
		}

	}

}
