package dev.dexpace.tokencache.sample;

import java.net.URI;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.core.env.Environment;
import org.springframework.web.util.DefaultUriBuilderFactory;
import org.springframework.web.util.UriBuilder;
import org.springframework.web.util.UriBuilderFactory;

/**
 * URIs relative to this application's own web server. HTTP service clients are created
 * while the context starts, before the server has its random port, so the base URL is
 * resolved on first use rather than when the client is built.
 */
final class LocalServerUriBuilderFactory implements UriBuilderFactory {

	private final Environment environment;

	private volatile @Nullable UriBuilderFactory delegate;

	LocalServerUriBuilderFactory(Environment environment) {
		this.environment = environment;
	}

	@Override
	public UriBuilder uriString(String uriTemplate) {
		return delegate().uriString(uriTemplate);
	}

	@Override
	public UriBuilder builder() {
		return delegate().builder();
	}

	@Override
	public URI expand(String uriTemplate, Map<String, ? extends @Nullable Object> uriVariables) {
		return delegate().expand(uriTemplate, uriVariables);
	}

	@Override
	public URI expand(String uriTemplate, @Nullable Object... uriVariables) {
		return delegate().expand(uriTemplate, uriVariables);
	}

	private UriBuilderFactory delegate() {
		UriBuilderFactory delegate = this.delegate;
		if (delegate == null) {
			// Published by Spring Boot once the web server has started; racing threads
			// build equal factories, so no lock is needed.
			delegate = new DefaultUriBuilderFactory(
					"http://localhost:" + this.environment.getRequiredProperty("local.server.port"));
			this.delegate = delegate;
		}
		return delegate;
	}

}
