package dev.dexpace.tokencache.benchmarks;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.dexpace.tokencache.dpop.DPoPProofs;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a DPoP proof for one call ({@code htm}, {@code htu} from a URI with a query,
 * {@code ath} of a 1 KiB token, a nonce, a fresh {@code jti}) beside its floor: one bare
 * ES256 signature by the same library (Nimbus JOSE's {@link ECDSASigner}) of a signing
 * input of the same length with the same P-256 key type. Report the ratio measured in the
 * same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class DPoPProofBenchmark {

	private DPoPProofs proofs;

	private URI uri;

	private String token;

	private ECDSASigner signer;

	private JWSHeader header;

	private byte[] signingInput;

	@Setup
	public void setUp() throws JOSEException {
		this.proofs = DPoPProofs.generate(JWSAlgorithm.ES256);
		this.uri = URI.create("https://orders.example.com/api/orders/12345?page=2&size=50");
		this.token = "a".repeat(1024);
		ECKey key = new ECKeyGenerator(Curve.P_256).generate();
		this.signer = new ECDSASigner(key);
		this.header = new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
			.jwk(key.toPublicJWK())
			.build();
		// The same length as the proof's signing input, so both sign as many bytes.
		String proof = this.proofs.proof("GET", this.uri, this.token, "server-nonce-1");
		this.signingInput = proof.substring(0, proof.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);
	}

	@Benchmark
	public String proof() {
		return this.proofs.proof("GET", this.uri, this.token, "server-nonce-1");
	}

	@Benchmark
	public Base64URL bareSignature() throws JOSEException {
		return this.signer.sign(this.header, this.signingInput);
	}

}
