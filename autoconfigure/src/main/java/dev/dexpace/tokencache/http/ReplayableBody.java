package dev.dexpace.tokencache.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpRequestDecorator;
import org.springframework.web.reactive.function.BodyInserter;

/**
 * What the body inserter of one {@code WebClient} request wrote, kept so that a retry
 * after a 401 sends exactly the same body and body headers. A body inserter cannot be
 * asked whether it may run twice (one over a {@code Flux} read from an
 * {@code InputStream} writes nothing the second time), so a retry never runs it again:
 * it writes the bytes recorded here, and only when the first attempt wrote its body to
 * the end within {@link #MAX_BYTES}. A body written with {@code writeAndFlushWith}, one
 * that failed or was cancelled, one still being written when the response arrived, or a
 * larger one, cannot be replayed.
 */
final class ReplayableBody {

	/**
	 * The largest body kept for a retry, in bytes.
	 */
	static final int MAX_BYTES = 256 * 1024;

	private final HttpHeaders requestHeaders;

	private final int maxBytes;

	private volatile @Nullable Recording recording;

	/**
	 * Create a record for the body of a request with the given headers.
	 * @param requestHeaders the headers of the request, before its body inserter runs;
	 * only headers the inserter adds or changes are replayed with the body
	 * @param maxBytes the largest body kept
	 */
	ReplayableBody(HttpHeaders requestHeaders, int maxBytes) {
		this.requestHeaders = requestHeaders;
		this.maxBytes = maxBytes;
	}

	/**
	 * Return an inserter that runs the given one and records what it writes.
	 * @param body the body inserter of the request
	 * @return the recording inserter
	 */
	BodyInserter<?, ? super ClientHttpRequest> recording(BodyInserter<?, ? super ClientHttpRequest> body) {
		return (ClientHttpRequest message, BodyInserter.Context context) -> {
			// The connector may write a request again on a new connection: only the last
			// write counts.
			this.recording = null;
			return body.insert(new RecordingRequest(message), context);
		};
	}

	/**
	 * Return an inserter that writes again exactly what the first attempt wrote, or
	 * {@code null} when that body cannot be sent again exactly.
	 * @return the replaying inserter, or {@code null}
	 */
	@Nullable BodyInserter<?, ? super ClientHttpRequest> replay() {
		Recording recorded = this.recording;
		if (recorded == null) {
			return null;
		}
		return (ClientHttpRequest message, BodyInserter.Context context) -> {
			recorded.headers.forEach(message.getHeaders()::put);
			if (recorded.bytes == null) {
				return message.setComplete();
			}
			byte[] bytes = recorded.bytes;
			Supplier<DataBuffer> buffer = () -> message.bufferFactory().wrap(bytes);
			// Written as the first attempt wrote it (one buffer, or a stream), so that a
			// connector frames it the same way.
			return message.writeWith(recorded.single ? Mono.fromSupplier(buffer) : Mono.fromSupplier(buffer).flux());
		};
	}

	/**
	 * A body written to its end: its bytes ({@code null} for a request completed without a
	 * body), whether it was written as a single buffer, and the headers the inserter set.
	 */
	private record Recording(byte @Nullable [] bytes, boolean single, Map<String, List<String>> headers) {

	}

	private final class RecordingRequest extends ClientHttpRequestDecorator {

		RecordingRequest(ClientHttpRequest delegate) {
			super(delegate);
		}

		@Override
		public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
			Map<String, List<String>> headers = bodyHeaders();
			Capture capture = new Capture();
			if (body instanceof Mono<? extends DataBuffer> mono) {
				return super.writeWith(mono.doOnNext(capture::append)
					.doOnSuccess((buffer) -> capture.complete(true, headers)));
			}
			return super.writeWith(Flux.from(body).doOnNext(capture::append)
				.doOnComplete(() -> capture.complete(false, headers)));
		}

		@Override
		public Mono<Void> setComplete() {
			ReplayableBody.this.recording = new Recording(null, true, bodyHeaders());
			return super.setComplete();
		}

		/**
		 * Return the headers the body inserter added or changed, never the
		 * {@code Authorization} header of this attempt.
		 */
		private Map<String, List<String>> bodyHeaders() {
			Map<String, List<String>> headers = new LinkedHashMap<>();
			getHeaders().forEach((name, values) -> {
				if (!HttpHeaders.AUTHORIZATION.equalsIgnoreCase(name)
						&& !values.equals(ReplayableBody.this.requestHeaders.get(name))) {
					headers.put(name, List.copyOf(values));
				}
			});
			return headers;
		}

	}

	/**
	 * The bytes of one write, copied as they pass; the buffers themselves go on to the
	 * connection untouched. Signals of one publisher never overlap.
	 */
	private final class Capture {

		private @Nullable ByteArrayOutputStream bytes = new ByteArrayOutputStream();

		void append(DataBuffer buffer) {
			ByteArrayOutputStream out = this.bytes;
			if (out == null) {
				return;
			}
			if (out.size() + buffer.readableByteCount() > ReplayableBody.this.maxBytes) {
				this.bytes = null;
				return;
			}
			try (DataBuffer.ByteBufferIterator iterator = buffer.readableByteBuffers()) {
				while (iterator.hasNext()) {
					ByteBuffer chunk = iterator.next();
					byte[] copy = new byte[chunk.remaining()];
					chunk.get(copy);
					out.write(copy, 0, copy.length);
				}
			}
		}

		void complete(boolean single, Map<String, List<String>> headers) {
			ByteArrayOutputStream out = this.bytes;
			if (out != null) {
				ReplayableBody.this.recording = new Recording(out.toByteArray(), single, headers);
			}
		}

	}

}
