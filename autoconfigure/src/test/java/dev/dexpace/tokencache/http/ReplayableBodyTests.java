package dev.dexpace.tokencache.http;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.mock.http.client.reactive.MockClientHttpRequest;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.ExchangeStrategies;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReplayableBody}.
 */
class ReplayableBodyTests {

	private static final BodyInserter.Context CONTEXT = new BodyInserter.Context() {

		@Override
		public List<HttpMessageWriter<?>> messageWriters() {
			return ExchangeStrategies.withDefaults().messageWriters();
		}

		@Override
		public Optional<ServerHttpRequest> serverRequest() {
			return Optional.empty();
		}

		@Override
		public Map<String, Object> hints() {
			return Collections.emptyMap();
		}

	};

	@Test
	void aBodyWrittenToItsEndIsReplayedWithTheHeadersItsInserterSetButNotTheAuthorization() {
		HttpHeaders requestHeaders = new HttpHeaders();
		requestHeaders.setBearerAuth("first");
		requestHeaders.set("X-Trace", "1");
		ReplayableBody body = new ReplayableBody(requestHeaders, 1024);
		MockClientHttpRequest first = request(requestHeaders);
		write(body.recording(BodyInserters.fromValue("héllo")), first);
		MockClientHttpRequest second = new MockClientHttpRequest(HttpMethod.POST, "/");
		BodyInserter<?, ? super ClientHttpRequest> replay = body.replay();
		assertThat(replay).isNotNull();
		write(replay, second);
		assertThat(second.getBodyAsString().block()).isEqualTo("héllo");
		assertThat(second.getHeaders().getContentType()).isEqualTo(first.getHeaders().getContentType());
		assertThat(second.getHeaders().getContentLength()).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8).length);
		assertThat(second.getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
		assertThat(second.getHeaders().containsHeader("X-Trace")).isFalse();
	}

	@Test
	void aBodyLargerThanTheBoundIsNotReplayed() {
		ReplayableBody body = new ReplayableBody(new HttpHeaders(), 10);
		write(body.recording(BodyInserters.fromValue("eleven byte")), request(new HttpHeaders()));
		assertThat(body.replay()).isNull();
	}

	@Test
	void aBodyOfExactlyTheBoundIsReplayed() {
		ReplayableBody body = new ReplayableBody(new HttpHeaders(), 10);
		write(body.recording(BodyInserters.fromValue("ten bytes!")), request(new HttpHeaders()));
		assertThat(body.replay()).isNotNull();
	}

	@Test
	void aBodyWhoseWriteFailedIsNotReplayed() {
		ReplayableBody body = new ReplayableBody(new HttpHeaders(), 1024);
		Flux<DataBuffer> failing = Flux.concat(Flux.just(buffer("part")), Flux.error(new IllegalStateException("gone")));
		MockClientHttpRequest request = request(new HttpHeaders());
		body.recording(BodyInserters.fromDataBuffers(failing))
			.insert(request, CONTEXT)
			.onErrorResume((ex) -> Mono.empty())
			.block();
		request.getBody().onErrorResume((ex) -> Flux.empty()).blockLast();
		assertThat(body.replay()).isNull();
	}

	@Test
	void aBodyStillBeingWrittenIsNotReplayed() {
		ReplayableBody body = new ReplayableBody(new HttpHeaders(), 1024);
		Sinks.Many<DataBuffer> source = Sinks.many().unicast().onBackpressureBuffer();
		MockClientHttpRequest request = request(new HttpHeaders());
		body.recording(BodyInserters.fromDataBuffers(source.asFlux())).insert(request, CONTEXT).subscribe();
		request.getBody().subscribe(DataBufferUtils::release);
		source.tryEmitNext(buffer("first half"));
		assertThat(body.replay()).isNull();
		source.tryEmitComplete();
		assertThat(body.replay()).isNotNull();
	}

	@Test
	void aBodyWrittenWithFlushesIsNotReplayed() {
		ReplayableBody body = new ReplayableBody(new HttpHeaders(), 1024);
		MockClientHttpRequest request = request(new HttpHeaders());
		BodyInserter<Object, ClientHttpRequest> flushing = (message,
				context) -> message.writeAndFlushWith(Flux.just(Flux.just(buffer("chunk"))));
		write(body.recording(flushing), request);
		assertThat(body.replay()).isNull();
	}

	@Test
	void aRequestCompletedWithoutABodyIsReplayedWithoutOne() {
		ReplayableBody body = new ReplayableBody(new HttpHeaders(), 1024);
		BodyInserter<Object, ClientHttpRequest> empty = (message,
				context) -> message.setComplete();
		write(body.recording(empty), request(new HttpHeaders()));
		BodyInserter<?, ? super ClientHttpRequest> replay = body.replay();
		assertThat(replay).isNotNull();
		MockClientHttpRequest second = new MockClientHttpRequest(HttpMethod.POST, "/");
		write(replay, second);
		assertThat(second.getBody().collectList().block()).isEmpty();
	}

	private static MockClientHttpRequest request(HttpHeaders headers) {
		MockClientHttpRequest request = new MockClientHttpRequest(HttpMethod.POST, "/");
		request.getHeaders().putAll(headers);
		return request;
	}

	private static void write(BodyInserter<?, ? super ClientHttpRequest> inserter,
			MockClientHttpRequest request) {
		inserter.insert(request, CONTEXT).block();
	}

	private static DataBuffer buffer(String text) {
		return DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8));
	}

}
