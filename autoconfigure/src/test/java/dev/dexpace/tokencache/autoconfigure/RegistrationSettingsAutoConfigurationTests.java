package dev.dexpace.tokencache.autoconfigure;

import java.time.Duration;
import java.time.Instant;

import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.AbstractApplicationContextRunner;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContext;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.security.oauth2.client.web.client.RequestAttributePrincipalResolver;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.security.oauth2.jwt.Jwt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-registration settings reach the client registration they name, however the
 * property was written: from a file with the registration's exact id, or from an
 * environment variable, which cannot hold a dash. A setting that names no registration,
 * or that could be meant for two, stops start-up.
 */
class RegistrationSettingsAutoConfigurationTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final String JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp)
		.withPropertyValues(exchangeRegistration("partner-api"));

	@AfterEach
	void close() {
		this.idp.close();
	}

	@Test
	void aSettingFromAnEnvironmentVariableReachesTheRegistrationWithADashInItsId() {
		withEnvironment(this.contextRunner, "DEXPACE_TOKENCACHE_REGISTRATION_PARTNERAPI_SUBJECTTOKENTYPE=" + JWT_TYPE)
			.run((context) -> {
				exchangeThroughRestClient(context, "partner-api");
				assertThat(this.idp.tokenRequestParameters()).singleElement()
					.satisfies((parameters) -> assertThat(parameters).containsEntry("subject_token_type", JWT_TYPE));
			});
	}

	@Test
	void aSettingFromAnEnvironmentVariableReachesTheRegistrationOfAReactiveApplication() {
		withEnvironment(ReactiveTokenCacheContexts.reactiveRunner(this.idp).withPropertyValues(exchangeRegistration("partner-api")),
				"DEXPACE_TOKENCACHE_REGISTRATION_PARTNERAPI_SUBJECTTOKENTYPE=" + JWT_TYPE)
			.run((context) -> {
				ReactiveTokenCacheContexts.webClient(context)
					.get()
					.uri(this.idp.apiUri())
					.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("partner-api"))
					.retrieve()
					.toBodilessEntity()
					.contextWrite(ReactiveSecurityContextHolder
						.withAuthentication(new TestingAuthenticationToken(jwt("alice"), "n/a", "ROLE_USER")))
					.block(WAIT);
				assertThat(this.idp.tokenRequestParameters()).singleElement()
					.satisfies((parameters) -> assertThat(parameters).containsEntry("subject_token_type", JWT_TYPE));
			});
	}

	@Test
	void aSettingWithTheExactIdStillReachesItsRegistration() {
		this.contextRunner
			.withPropertyValues("dexpace.token-cache.registration.partner-api.subject-token-type=" + JWT_TYPE)
			.run((context) -> {
				exchangeThroughRestClient(context, "partner-api");
				assertThat(this.idp.tokenRequestParameters()).singleElement()
					.satisfies((parameters) -> assertThat(parameters).containsEntry("subject_token_type", JWT_TYPE));
			});
	}

	@Test
	void aSettingThatNamesNoRegistrationStopsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues("dexpace.token-cache.registration.partner-apl.subject-token-type=" + JWT_TYPE)
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context).getFailure()
					.rootCause()
					.hasMessageContaining("dexpace.token-cache.registration.partner-apl")
					.hasMessageContaining("matches no client registration")
					.hasMessageContaining("partner-api");
			});
	}

	@Test
	void aSettingThatNamesNoRegistrationStopsTheStartUpOfAReactiveApplication() {
		ReactiveTokenCacheContexts.reactiveRunner(this.idp)
			.withPropertyValues("dexpace.token-cache.registration.nowhere.subject-token-type=" + JWT_TYPE)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.nowhere")
				.hasMessageContaining("matches no client registration"));
	}

	@Test
	void aSettingFromTheEnvironmentThatFitsTwoRegistrationsStopsStartUp() {
		withEnvironment(this.contextRunner.withPropertyValues(exchangeRegistration("partnerapi")),
				"DEXPACE_TOKENCACHE_REGISTRATION_PARTNERAPI_SUBJECTTOKENTYPE=" + JWT_TYPE)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.partnerapi")
				.hasMessageContaining("partner-api")
				.hasMessageContaining("partnerapi"));
	}

	@Test
	void aSettingWithTheExactIdOfOneOfTwoSimilarRegistrationsIsNotAmbiguous() {
		this.contextRunner.withPropertyValues(exchangeRegistration("partnerapi"))
			.withPropertyValues("dexpace.token-cache.registration.partner-api.subject-token-type=" + JWT_TYPE)
			.run((context) -> {
				exchangeThroughRestClient(context, "partner-api");
				exchangeThroughRestClient(context, "partnerapi");
				assertThat(this.idp.tokenRequestParameters()).extracting((parameters) -> parameters.get("subject_token_type"))
					.containsExactly(JWT_TYPE, TokenCacheProperties.ACCESS_TOKEN_TYPE);
			});
	}

	@Test
	void twoSettingsForTheSameRegistrationStopStartUp() {
		withEnvironment(
				this.contextRunner.withPropertyValues(
						"dexpace.token-cache.registration.partner-api.subject-token-type=" + JWT_TYPE),
				"DEXPACE_TOKENCACHE_REGISTRATION_PARTNERAPI_SUBJECTTOKENTYPE=" + TokenCacheProperties.ACCESS_TOKEN_TYPE)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dexpace.token-cache.registration.partner-api")
				.hasMessageContaining("dexpace.token-cache.registration.partnerapi"));
	}

	private static <R extends AbstractApplicationContextRunner<R, ?, ?>> R withEnvironment(R runner,
			String... variables) {
		return runner.withInitializer((context) -> TestPropertyValues.of(variables)
			.applyTo(context.getEnvironment(), TestPropertyValues.Type.SYSTEM_ENVIRONMENT));
	}

	private void exchangeThroughRestClient(ApplicationContext context, String registrationId) {
		TokenCacheContexts.restClient(context)
			.get()
			.uri(this.idp.apiUri())
			.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId(registrationId))
			.attributes(RequestAttributePrincipalResolver.principal(new TestingAuthenticationToken(jwt("alice"), null)))
			.retrieve()
			.toBodilessEntity();
	}

	private static String[] exchangeRegistration(String id) {
		String prefix = "spring.security.oauth2.client.registration." + id + ".";
		return new String[] { prefix + "client-id=app", prefix + "client-secret=app-secret",
				prefix + "authorization-grant-type=urn:ietf:params:oauth:grant-type:token-exchange",
				prefix + "scope=api.read", prefix + "provider=idp" };
	}

	private static Jwt jwt(String subject) {
		return Jwt.withTokenValue(TestIdentityProvider.unsignedJwt(Instant.now().plusSeconds(600)))
			.header("alg", "none")
			.subject(subject)
			.build();
	}

}
