package dev.dexpace.tokencache.http;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;

import dev.dexpace.tokencache.ReactiveTokenCache;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.http.RecordingApi.Received;
import dev.dexpace.tokencache.test.ReactiveTokenCacheContexts;
import dev.dexpace.tokencache.test.TestIdentityProvider;
import dev.dexpace.tokencache.test.TokenCacheContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.security.oauth2.client.web.reactive.function.client.ServerOAuth2AuthorizedClientExchangeFilterFunction;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A {@link WebClient} request answered 401 is retried only with exactly the body it sent
 * first, against a real API that records the bodies it receives.
 */
class WebClientRetryBodyIT {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private final TestIdentityProvider idp = new TestIdentityProvider();

	private final RecordingApi api = new RecordingApi();

	private final ReactiveWebApplicationContextRunner contextRunner = ReactiveTokenCacheContexts
		.reactiveRunner(this.idp);

	@AfterEach
	void stop() {
		this.api.close();
		this.idp.close();
	}

	@Test
	void aReadOnceBodyTooLargeToKeepIsNotRetriedAndTheTokenIsDeleted() {
		// Above the 256 KiB a WebClient request body may take to be kept for a retry.
		byte[] upload = bytes(320 * 1024);
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			this.api.rejectNext(1);
			assertThatExceptionOfType(WebClientResponseException.Unauthorized.class)
				.isThrownBy(() -> post(client, readOnce(upload)));
			assertThat(context.getBean(ReactiveTokenCache.class).get(systemKey()).block(WAIT)).isNull();
			assertThat(this.api.received()).hasSize(1);
			assertThat(this.api.received().get(0).digest()).isEqualTo(RecordingApi.digest(upload));
			assertThat(this.idp.tokenRequests()).isOne();
		});
	}

	@Test
	void aReadOnceBodyWithinTheBoundIsRetriedWithTheSameBytes() {
		byte[] upload = bytes(40 * 1024);
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			this.api.rejectNext(1);
			ResponseEntity<Void> response = post(client, readOnce(upload));
			assertThat(response.getStatusCode().value()).isEqualTo(201);
			assertSentTwiceIdentically(upload, "application/octet-stream");
		});
	}

	@Test
	void aValueBodyIsRetriedWithTheSameBytesAndContentType() {
		String json = "{\"name\":\"café\",\"items\":[1,2,3]}";
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			this.api.rejectNext(1);
			ResponseEntity<Void> response = client.post()
				.uri(this.api.uploadUri())
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
				.contentType(MediaType.APPLICATION_JSON)
				.body(BodyInserters.fromValue(json))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT);
			assertThat(response.getStatusCode().value()).isEqualTo(201);
			assertSentTwiceIdentically(json.getBytes(StandardCharsets.UTF_8), "application/json");
		});
	}

	@Test
	void aMultipartBodyIsRetriedWithTheSameBoundaryAndBytes() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			this.api.rejectNext(1);
			MultipartBodyBuilder parts = new MultipartBodyBuilder();
			parts.part("name", "report");
			parts.part("file", "line 1\nline 2\n".getBytes(StandardCharsets.UTF_8)).filename("report.txt");
			ResponseEntity<Void> response = client.post()
				.uri(this.api.uploadUri())
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
				.body(BodyInserters.fromMultipartData(parts.build()))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT);
			assertThat(response.getStatusCode().value()).isEqualTo(201);
			List<Received> received = this.api.received();
			assertThat(received).hasSize(2);
			assertThat(received.get(0).contentType()).startsWith("multipart/form-data;");
			assertThat(received.get(1).contentType()).isEqualTo(received.get(0).contentType());
			assertThat(received.get(0).body()).isNotEmpty();
			assertThat(received.get(1).digest()).isEqualTo(received.get(0).digest());
		});
	}

	@Test
	void aBodilessRequestIsRetried() {
		this.contextRunner.run((context) -> {
			WebClient client = ReactiveTokenCacheContexts.webClient(context);
			this.api.rejectNext(1);
			ResponseEntity<Void> response = client.get()
				.uri(this.api.uploadUri())
				.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
				.retrieve()
				.toBodilessEntity()
				.block(WAIT);
			assertThat(response.getStatusCode().value()).isEqualTo(201);
			assertThat(this.api.received()).hasSize(2).allSatisfy((request) -> assertThat(request.body()).isEmpty());
			assertThat(this.idp.tokenRequests()).isEqualTo(2);
		});
	}

	private void assertSentTwiceIdentically(byte[] body, String contentType) {
		List<Received> received = this.api.received();
		assertThat(received).hasSize(2);
		for (Received request : received) {
			assertThat(request.digest()).isEqualTo(RecordingApi.digest(body));
			assertThat(request.contentType()).startsWith(contentType);
		}
		assertThat(received.get(1).contentType()).isEqualTo(received.get(0).contentType());
		assertThat(received.get(1).authorization()).isNotEqualTo(received.get(0).authorization());
		assertThat(this.idp.tokenRequests()).isEqualTo(2);
	}

	private ResponseEntity<Void> post(WebClient client, BodyInserter<?, ? super ClientHttpRequest> body) {
		return client.post()
			.uri(this.api.uploadUri())
			.attributes(ServerOAuth2AuthorizedClientExchangeFilterFunction.clientRegistrationId("api"))
			.contentType(MediaType.APPLICATION_OCTET_STREAM)
			.body(body)
			.retrieve()
			.toBodilessEntity()
			.block(WAIT);
	}

	/**
	 * A body read from one {@link InputStream}, as a proxied upload is: a second
	 * subscription finds the stream at its end and writes nothing.
	 */
	private static BodyInserter<Flux<DataBuffer>, ReactiveHttpOutputMessage> readOnce(byte[] bytes) {
		InputStream once = new ByteArrayInputStream(bytes);
		return BodyInserters.fromDataBuffers(
				DataBufferUtils.readInputStream(() -> once, DefaultDataBufferFactory.sharedInstance, 8192));
	}

	static byte[] bytes(int length) {
		byte[] bytes = new byte[length];
		new Random(length).nextBytes(bytes);
		return bytes;
	}

	private TokenKey systemKey() {
		return TokenKey.system("api", TokenCacheContexts.clientDigest(this.idp), Set.of("api.read", "api.write"),
				null);
	}

}
