package dev.dexpace.tokencache.autoconfigure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link RegistrationSettings}.
 */
class RegistrationSettingsTests {

	private final TokenCacheProperties.Registration settings = new TokenCacheProperties.Registration();

	@Test
	void theUniformFormIsTheOneSpringBootGivesAMapKeyFromAnEnvironmentVariable() {
		for (String id : List.of("partner-api", "Partner_API", "partner.api", "v2-Api-9")) {
			String element = ConfigurationPropertyName.adapt(id, '\0').getElement(0,
					ConfigurationPropertyName.Form.UNIFORM);
			assertThat(RegistrationSettings.uniform(id)).as(id).isEqualTo(element);
		}
		assertThat(RegistrationSettings.uniform("partner-api")).isEqualTo("partnerapi");
	}

	@Test
	void aKeyInUniformFormMatchesTheRegistrationWhoseIdHasThatForm() {
		RegistrationSettings resolved = RegistrationSettings.of(Map.of("partnerapi", this.settings),
				List.of("api", "partner-api"));
		assertThat(resolved.get("partner-api")).isSameAs(this.settings);
		assertThat(resolved.get("partnerapi")).isNull();
		assertThat(resolved.get("api")).isNull();
	}

	@Test
	void anExactKeyMatchesItsRegistration() {
		RegistrationSettings resolved = RegistrationSettings.of(Map.of("partner-api", this.settings),
				List.of("partner-api", "partnerapi"));
		assertThat(resolved.get("partner-api")).isSameAs(this.settings);
		assertThat(resolved.get("partnerapi")).isNull();
	}

	@Test
	void aKeyThatMatchesNoRegistrationFailsNamingTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> RegistrationSettings.of(Map.of("partner", this.settings), List.of("partner-api")))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("dexpace.token-cache.registration.partner"))
			.withMessageContaining("matches no client registration");
	}

	@Test
	void aKeyInUniformFormThatFitsTwoRegistrationsFails() {
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> RegistrationSettings.of(Map.of("partnerapi", this.settings),
					List.of("partner-api", "partnerapi")))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("dexpace.token-cache.registration.partnerapi"))
			.withMessageContaining("[partner-api, partnerapi]");
	}

	@Test
	void twoKeysForOneRegistrationFail() {
		Map<String, TokenCacheProperties.Registration> configured = new LinkedHashMap<>();
		configured.put("partner-api", this.settings);
		configured.put("partnerapi", new TokenCacheProperties.Registration());
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> RegistrationSettings.of(configured, List.of("partner-api")))
			.withMessageContaining("dexpace.token-cache.registration.partnerapi")
			.withMessageContaining("dexpace.token-cache.registration.partner-api");
	}

	@Test
	void withoutAListOfRegistrationsKeysAreMatchedAtLookup() {
		RegistrationSettings resolved = RegistrationSettings.of(Map.of("partnerapi", this.settings), (Object) null);
		assertThat(resolved.get("partner-api")).isSameAs(this.settings);
		assertThat(resolved.get("partnerapi")).isSameAs(this.settings);
		assertThat(resolved.get("other")).isNull();
	}

	@Test
	void withoutAListOfRegistrationsTwoKeysOfTheSameFormFail() {
		Map<String, TokenCacheProperties.Registration> configured = new LinkedHashMap<>();
		configured.put("partner-api", this.settings);
		configured.put("partnerapi", new TokenCacheProperties.Registration());
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> RegistrationSettings.of(configured, (Object) null))
			.withMessageContaining("dexpace.token-cache.registration.partnerapi");
	}

}
