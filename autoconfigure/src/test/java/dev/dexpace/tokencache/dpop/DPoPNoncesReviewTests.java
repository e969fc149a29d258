package dev.dexpace.tokencache.dpop;

import java.net.URI;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review: nonces are kept per server also for a host name {@link URI} does not parse as
 * one (an underscore, as in many container names), which has no {@link URI#getHost()}.
 */
class DPoPNoncesReviewTests {

	private final DPoPNonces nonces = new DPoPNonces();

	@Test
	void twoServersWhoseHostsHaveAnUnderscoreKeepTheirOwnNonces() {
		this.nonces.put(URI.create("http://orders_api:8080/orders"), "orders-nonce");
		this.nonces.put(URI.create("http://billing_api:8080/invoices"), "billing-nonce");
		assertThat(this.nonces.get(URI.create("http://orders_api:8080/other"))).isEqualTo("orders-nonce");
		assertThat(this.nonces.get(URI.create("http://billing_api:8080/other"))).isEqualTo("billing-nonce");
	}

	@Test
	void aHostWithAnUnderscoreIsNamedWithoutRegardToCaseAndDefaultPort() {
		this.nonces.put(URI.create("https://Orders_Api/orders"), "orders-nonce");
		assertThat(this.nonces.get(URI.create("https://orders_api:443/other"))).isEqualTo("orders-nonce");
	}

}
