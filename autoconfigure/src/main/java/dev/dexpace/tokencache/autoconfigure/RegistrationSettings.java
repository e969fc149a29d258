package dev.dexpace.tokencache.autoconfigure;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.security.oauth2.client.registration.ClientRegistration;

/**
 * Finds the {@code dexpace.token-cache.registration.<id>} settings of a client
 * registration: the one place that matches the keys of that map to registration ids.
 * <p>
 * Spring Boot binds a map key from an environment variable in its uniform form: lower
 * case, with everything but letters and digits removed
 * ({@code DEXPACE_TOKENCACHE_REGISTRATION_PARTNERAPI_…} gives the key {@code partnerapi},
 * since a variable name cannot hold a dash). A key matches the registration with that
 * exact id, or else the registration whose id has the same uniform form. When the
 * registrations are known (Spring Security's in-memory repositories, which Spring Boot
 * creates from {@code spring.security.oauth2.client.registration.*}), start-up fails for
 * a key that matches no registration, for a key that fits two registrations (unless it is
 * the exact id of one and not in uniform form, so it cannot have come from an environment
 * variable), and for two keys that match the same registration. A repository that cannot
 * list its registrations is matched the same way at each lookup; then only two keys of
 * the same uniform form fail start-up.
 */
final class RegistrationSettings {

	private final Map<String, TokenCacheProperties.Registration> configured;

	private final @Nullable Map<String, TokenCacheProperties.Registration> resolved;

	private RegistrationSettings(Map<String, TokenCacheProperties.Registration> configured,
			@Nullable Map<String, TokenCacheProperties.Registration> resolved) {
		this.configured = configured;
		this.resolved = resolved;
	}

	/**
	 * Match the configured settings to the registrations of a repository.
	 * @param configured the settings by key, as bound
	 * @param repository the client registration repository, blocking or reactive; its
	 * registrations are checked when it lists them (is {@link Iterable})
	 * @return the settings
	 * @throws InvalidConfigurationPropertyValueException if a key matches no registration,
	 * fits two, or matches the same registration as another key
	 */
	static RegistrationSettings of(Map<String, TokenCacheProperties.Registration> configured,
			@Nullable Object repository) {
		return of(configured, registrationIds(repository));
	}

	/**
	 * Match the configured settings to the given registration ids.
	 * @param configured the settings by key, as bound
	 * @param registrationIds every registration id, or {@code null} if they are not known
	 * @return the settings
	 * @throws InvalidConfigurationPropertyValueException if a key matches no registration,
	 * fits two, or matches the same registration as another key
	 */
	static RegistrationSettings of(Map<String, TokenCacheProperties.Registration> configured,
			@Nullable Collection<String> registrationIds) {
		Map<String, TokenCacheProperties.Registration> copy = new LinkedHashMap<>(configured);
		if (registrationIds == null) {
			Map<String, String> keyOfForm = new LinkedHashMap<>();
			copy.keySet().forEach((key) -> {
				String other = keyOfForm.putIfAbsent(uniform(key), key);
				if (other != null) {
					throw invalid(key, "cannot be told apart from " + property(other)
							+ " by the client registration repository, which does not list its registrations");
				}
			});
			return new RegistrationSettings(copy, null);
		}
		Map<String, TokenCacheProperties.Registration> resolved = new LinkedHashMap<>();
		Map<String, String> keyOfRegistration = new LinkedHashMap<>();
		copy.forEach((key, settings) -> {
			String registrationId = registrationIdOf(key, registrationIds);
			String other = keyOfRegistration.putIfAbsent(registrationId, key);
			if (other != null) {
				throw invalid(key, "configures client registration '" + registrationId + "', as "
						+ property(other) + " does; keep one of them");
			}
			resolved.put(registrationId, settings);
		});
		return new RegistrationSettings(copy, resolved);
	}

	/**
	 * Return the settings of a client registration.
	 * @param registrationId the registration id
	 * @return its settings, or {@code null} if none are configured
	 */
	TokenCacheProperties.@Nullable Registration get(String registrationId) {
		if (this.resolved != null) {
			return this.resolved.get(registrationId);
		}
		TokenCacheProperties.Registration exact = this.configured.get(registrationId);
		if (exact != null) {
			return exact;
		}
		String uniform = uniform(registrationId);
		// At most one key has this form: checked when the settings were made.
		for (Map.Entry<String, TokenCacheProperties.Registration> entry : this.configured.entrySet()) {
			if (uniform(entry.getKey()).equals(uniform)) {
				return entry.getValue();
			}
		}
		return null;
	}

	/**
	 * Return the {@code subject_token_type} a token exchange sends for a registration.
	 * @param registrationId the registration id
	 * @return the configured token type, or the access token type when none is configured
	 */
	String subjectTokenType(String registrationId) {
		TokenCacheProperties.Registration settings = get(registrationId);
		return (settings != null) ? settings.getSubjectTokenType() : TokenCacheProperties.ACCESS_TOKEN_TYPE;
	}

	/**
	 * Return the configured settings by registration id where the registrations are
	 * known, by configured key otherwise.
	 * @return the settings
	 */
	Map<String, TokenCacheProperties.Registration> byRegistrationId() {
		return (this.resolved != null) ? this.resolved : this.configured;
	}

	/**
	 * Return the configured key of a registration's settings, for messages.
	 * @param registrationId the registration id
	 * @return the key
	 */
	String keyOf(String registrationId) {
		TokenCacheProperties.Registration settings = get(registrationId);
		for (Map.Entry<String, TokenCacheProperties.Registration> entry : this.configured.entrySet()) {
			if (entry.getValue() == settings) {
				return entry.getKey();
			}
		}
		return registrationId;
	}

	private static String registrationIdOf(String key, Collection<String> registrationIds) {
		String uniform = uniform(key);
		List<String> candidates = new ArrayList<>();
		for (String registrationId : registrationIds) {
			if (uniform(registrationId).equals(uniform)) {
				candidates.add(registrationId);
			}
		}
		if (candidates.contains(key) && (candidates.size() == 1 || !key.equals(uniform))) {
			return key;
		}
		if (candidates.isEmpty()) {
			throw invalid(key, "matches no client registration; the registrations are " + registrationIds);
		}
		if (candidates.size() > 1) {
			// The environment variable of one is that of the other: it cannot tell them apart.
			throw invalid(key, "could be meant for any of the client registrations " + candidates
					+ ", whose ids differ only in case, dashes, dots or underscores; give them ids that differ otherwise");
		}
		return candidates.get(0);
	}

	/**
	 * Spring Boot's uniform form of a name element, the form a map key from an
	 * environment variable has: lower case, letters and digits only.
	 */
	static String uniform(String name) {
		StringBuilder uniform = new StringBuilder(name.length());
		for (char ch : name.toLowerCase(Locale.ENGLISH).toCharArray()) {
			if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
				uniform.append(ch);
			}
		}
		return uniform.toString();
	}

	private static @Nullable Set<String> registrationIds(@Nullable Object repository) {
		if (!(repository instanceof Iterable<?> registrations)) {
			return null;
		}
		Set<String> ids = new LinkedHashSet<>();
		for (Object registration : registrations) {
			if (registration instanceof ClientRegistration clientRegistration) {
				ids.add(clientRegistration.getRegistrationId());
			}
		}
		return ids;
	}

	private static String property(String key) {
		return TokenCacheProperties.CONFIG_PREFIX + ".registration." + key;
	}

	private static InvalidConfigurationPropertyValueException invalid(String key, String reason) {
		return new InvalidConfigurationPropertyValueException(property(key), key, reason);
	}

}
