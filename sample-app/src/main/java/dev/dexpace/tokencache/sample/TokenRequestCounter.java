package dev.dexpace.tokencache.sample;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Counts the POST requests that reach the authorization server's token endpoint, however
 * they end.
 */
final class TokenRequestCounter extends OncePerRequestFilter {

	private final AtomicLong requests = new AtomicLong();

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		if ("POST".equals(request.getMethod())) {
			this.requests.incrementAndGet();
		}
		chain.doFilter(request, response);
	}

	/**
	 * Return how many token requests arrived since start-up.
	 * @return the number of token requests
	 */
	long count() {
		return this.requests.get();
	}

}
