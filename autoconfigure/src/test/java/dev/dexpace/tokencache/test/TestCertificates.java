package dev.dexpace.tokencache.test;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made for one test run, and the server and client certificates
 * it issues, with Bouncy Castle: the server one for 127.0.0.1 and localhost, the client
 * one for a client id. Keys are 2048-bit RSA unless an EC key is asked for.
 */
public final class TestCertificates {

	private final KeyPair caKeys;

	private final X509Certificate ca;

	public TestCertificates() {
		this.caKeys = rsa();
		this.ca = issue("CN=dexpace test CA", this.caKeys, "CN=dexpace test CA", this.caKeys, true, false);
	}

	/**
	 * A certificate and its key.
	 */
	public record Issued(X509Certificate certificate, KeyPair keys) {

		/**
		 * @return the certificate in PEM
		 */
		public String certificatePem() {
			return pem(this.certificate);
		}

		/**
		 * @return the private key in PEM (PKCS#8)
		 */
		public String privateKeyPem() {
			return "-----BEGIN PRIVATE KEY-----\n"
					+ Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
						.encodeToString(this.keys.getPrivate().getEncoded())
					+ "\n-----END PRIVATE KEY-----\n";
		}

	}

	public String caPem() {
		return pem(this.ca);
	}

	public Issued server() {
		KeyPair keys = rsa();
		return new Issued(issue("CN=127.0.0.1", keys, "CN=dexpace test CA", this.caKeys, false, true), keys);
	}

	public Issued client(String clientId) {
		KeyPair keys = rsa();
		return new Issued(issue("CN=" + clientId, keys, "CN=dexpace test CA", this.caKeys, false, false), keys);
	}

	/**
	 * A self-signed certificate for a key that only signs client assertions.
	 */
	public static Issued selfSigned(String name, KeyPair keys) {
		return new Issued(issue("CN=" + name, keys, "CN=" + name, keys, false, false), keys);
	}

	/**
	 * An SSL context for a server that presents the certificate and trusts this CA.
	 */
	public SSLContext serverContext(Issued server) throws Exception {
		KeyStore keyStore = KeyStore.getInstance("PKCS12");
		keyStore.load(null, null);
		char[] password = "changeit".toCharArray();
		keyStore.setKeyEntry("server", server.keys().getPrivate(), password,
				new X509Certificate[] { server.certificate(), this.ca });
		KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		keyManagers.init(keyStore, password);
		KeyStore trustStore = KeyStore.getInstance("PKCS12");
		trustStore.load(null, null);
		trustStore.setCertificateEntry("ca", this.ca);
		TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trustManagers.init(trustStore);
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), new SecureRandom());
		return context;
	}

	public static KeyPair rsa() {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
			generator.initialize(2048);
			return generator.generateKeyPair();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static X509Certificate issue(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys,
			boolean ca, boolean server) {
		try {
			Instant now = Instant.now();
			JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
					BigInteger.valueOf(now.toEpochMilli()).add(BigInteger.valueOf(new SecureRandom().nextInt(1 << 20))),
					Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))),
					new X500Name(subject), subjectKeys.getPublic());
			builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
			if (ca) {
				builder.addExtension(Extension.keyUsage, true,
						new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
			}
			if (server) {
				builder.addExtension(Extension.subjectAlternativeName, false,
						new GeneralNames(new GeneralName[] { new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
								new GeneralName(GeneralName.dNSName, "localhost") }));
			}
			return new JcaX509CertificateConverter()
				.getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static String pem(Object object) {
		StringWriter out = new StringWriter();
		try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
			writer.writeObject(object);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
		return out.toString();
	}

}
