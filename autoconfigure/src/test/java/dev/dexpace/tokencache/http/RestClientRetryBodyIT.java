package dev.dexpace.tokencache.http;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;

import dev.dexpace.tokencache.http.RecordingApi.Received;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link RestClient} request answered 401 is retried with exactly the body it sent
 * first, even when that body can be written only once: Spring Framework buffers the body
 * of every request that passes through an interceptor (its
 * {@code InterceptingClientHttpRequest} is a buffering request), so the interceptor sends
 * the same bytes again.
 */
class RestClientRetryBodyIT {

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RecordingApi api = new RecordingApi();

	private final ApplicationContextRunner contextRunner = TokenCacheContexts.runner(this.idp);

	@AfterEach
	void stop() {
		this.api.close();
		this.idp.close();
	}

	@Test
	void aStreamingBodyThatCanBeWrittenOnceIsRetriedWithTheSameBytes() {
		byte[] upload = WebClientRetryBodyIT.bytes(320 * 1024);
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			this.api.rejectNext(1);
			InputStream once = new ByteArrayInputStream(upload);
			ResponseEntity<Void> response = client.post()
				.uri(this.api.uploadUri())
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
				.contentType(MediaType.APPLICATION_OCTET_STREAM)
				.body(once::transferTo)
				.retrieve()
				.toBodilessEntity();
			assertThat(response.getStatusCode().value()).isEqualTo(201);
			assertSentTwiceIdentically(upload);
		});
	}

	@Test
	void anInputStreamResourceBodyIsRetriedWithTheSameBytes() {
		byte[] upload = WebClientRetryBodyIT.bytes(40 * 1024);
		this.contextRunner.run((context) -> {
			RestClient client = TokenCacheContexts.restClient(context);
			this.api.rejectNext(1);
			ResponseEntity<Void> response = client.post()
				.uri(this.api.uploadUri())
				.attributes(RequestAttributeClientRegistrationIdResolver.clientRegistrationId("api"))
				.contentType(MediaType.APPLICATION_OCTET_STREAM)
				.body(new InputStreamResource(new ByteArrayInputStream(upload)))
				.retrieve()
				.toBodilessEntity();
			assertThat(response.getStatusCode().value()).isEqualTo(201);
			assertSentTwiceIdentically(upload);
		});
	}

	private void assertSentTwiceIdentically(byte[] body) {
		List<Received> received = this.api.received();
		assertThat(received).hasSize(2);
		assertThat(received).allSatisfy((request) -> {
			assertThat(request.digest()).isEqualTo(RecordingApi.digest(body));
			assertThat(request.contentType()).isEqualTo("application/octet-stream");
		});
		assertThat(received.get(1).authorization()).isNotEqualTo(received.get(0).authorization());
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

}
