package dev.dexpace.tokencache.autoconfigure;

import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.boot.autoconfigure.AutoConfigurationImportFilter;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.util.ClassUtils;

/**
 * Keeps outgoing token caching from securing inbound requests. The starter brings Spring
 * Boot's OAuth2 client module for its client registrations but not Boot's security module
 * ({@code spring-boot-security}), whose default web security would answer
 * {@code 302 -> /login} on every endpoint of an application that had no Spring Security.
 * Without that module, Boot's OAuth2 client web security auto-configurations (an
 * {@code oauth2Login()} filter chain) cannot tell whether the application secured itself,
 * so they are skipped; an application that adds {@code spring-boot-starter-security} (or
 * its OAuth2 client starter) gets them, and Boot's defaults, as usual.
 */
final class InboundSecurityImportFilter implements AutoConfigurationImportFilter, BeanClassLoaderAware {

	static final String SECURITY_AUTO_CONFIGURATION = "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration";

	private static final Set<String> INBOUND = Set.of(
			"org.springframework.boot.security.oauth2.client.autoconfigure.servlet.OAuth2ClientWebSecurityAutoConfiguration",
			"org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientWebSecurityAutoConfiguration");

	private @Nullable ClassLoader classLoader;

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	@Override
	public boolean[] match(@Nullable String[] autoConfigurationClasses,
			AutoConfigurationMetadata autoConfigurationMetadata) {
		boolean securityModule = ClassUtils.isPresent(SECURITY_AUTO_CONFIGURATION, this.classLoader);
		boolean[] matches = new boolean[autoConfigurationClasses.length];
		for (int i = 0; i < autoConfigurationClasses.length; i++) {
			String candidate = autoConfigurationClasses[i];
			matches[i] = securityModule || candidate == null || !INBOUND.contains(candidate);
		}
		return matches;
	}

}
