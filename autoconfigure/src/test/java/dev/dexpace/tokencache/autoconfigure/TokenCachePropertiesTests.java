package dev.dexpace.tokencache.autoconfigure;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@link TokenCacheProperties} binds what the application writes.
 */
class TokenCachePropertiesTests {

	@Test
	void aTrailingCommaInTheExcludedGroupsAddsNoEmptyGroupName() {
		MapConfigurationPropertySource source = new MapConfigurationPropertySource();
		source.put("dexpace.token-cache.http-service.excluded-groups", "Stock-Greetings , other,");
		TokenCacheProperties properties = new Binder(source).bind("dexpace.token-cache", TokenCacheProperties.class)
			.get();
		assertThat(properties.getHttpService().getExcludedGroups()).containsExactly("Stock-Greetings", "other");
	}

}
