package dev.dexpace.tokencache.actuate;

import java.time.Clock;

import dev.dexpace.tokencache.TokenCacheListener;
import dev.dexpace.tokencache.actuate.TokenCacheEndpoint.DeletedDescriptor;
import dev.dexpace.tokencache.support.NoOpTokenCache;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code tokencache} endpoint on a cache that cannot list its entries: a delete says
 * what happened instead of answering {@code {}}.
 */
class TokenCacheEndpointTests {

	private final TokenCacheEndpoint endpoint = new TokenCacheEndpoint(new NoOpTokenCache(), TokenCacheListener.NONE,
			Clock.systemUTC());

	@Test
	void deletingARegistrationOfACacheThatCannotBeInspectedSaysNothingWasRemoved() {
		DeletedDescriptor deleted = this.endpoint.deleteRegistration("api");

		assertThat(deleted.deleted()).isNull();
		assertThat(deleted.inspectable()).isFalse();
		assertThat(deleted.reason()).startsWith("Nothing was removed");
		assertThat(JsonMapper.builder().build().writeValueAsString(deleted)).contains("\"inspectable\":false")
			.contains("\"reason\":");
	}

	@Test
	void deletingEverythingOfACacheThatCannotBeInspectedSaysItWasClearedUncounted() {
		DeletedDescriptor deleted = this.endpoint.deleteAll();

		assertThat(deleted.deleted()).isNull();
		assertThat(deleted.inspectable()).isFalse();
		assertThat(deleted.reason()).contains("cleared");
	}

	@Test
	void aReadOfACacheThatCannotBeInspectedHasNoEntries() {
		assertThat(this.endpoint.tokenCache(10, null).inspectable()).isFalse();
		assertThat(this.endpoint.tokenCache(10, null).entries()).isNull();
	}

}
