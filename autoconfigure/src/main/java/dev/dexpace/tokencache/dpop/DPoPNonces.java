package dev.dexpace.tokencache.dpop;

import java.net.URI;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.jspecify.annotations.Nullable;

/**
 * The latest {@code DPoP-Nonce} each server (identity provider or resource server, by
 * origin: scheme, host and port) sent, so that the next proof for that server carries
 * it. A server may send a new nonce on any response (RFC 9449 sections 8 and 9); the last
 * one wins. A value that is not a nonce (RFC 9449 section 8.1: at least one character of
 * {@code %x21 / %x23-5B / %x5D-7E}) is ignored, so a nonce never needs escaping.
 * <p>
 * Bounded: past {@value #MAX_SERVERS} servers the store forgets them all, and a server
 * that wants a nonce asks again, one round trip.
 */
final class DPoPNonces {

	static final int MAX_SERVERS = 1024;

	private static final int MAX_NONCE_LENGTH = 1024;

	private final ConcurrentMap<String, String> nonces = new ConcurrentHashMap<>();

	@Nullable String get(URI uri) {
		return this.nonces.get(origin(uri));
	}

	/**
	 * Remember the nonce a server sent.
	 * @param uri the URI the response answered
	 * @param nonce the {@code DPoP-Nonce} header value, or {@code null}
	 * @return whether the nonce was kept
	 */
	boolean put(URI uri, @Nullable String nonce) {
		if (nonce == null || !isNonce(nonce)) {
			return false;
		}
		if (this.nonces.size() >= MAX_SERVERS) {
			this.nonces.clear();
		}
		this.nonces.put(origin(uri), nonce);
		return true;
	}

	static boolean isNonce(String value) {
		if (value.isEmpty() || value.length() > MAX_NONCE_LENGTH) {
			return false;
		}
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c < 0x21 || c > 0x7E || c == '"' || c == '\\') {
				return false;
			}
		}
		return true;
	}

	private static String origin(URI uri) {
		String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : "";
		String host = uri.getHost();
		int port = uri.getPort();
		String authority = uri.getRawAuthority();
		if (host == null && authority != null) {
			// A host name URI does not parse (an underscore, as in container names) leaves
			// no host: the authority, without user info, names the server.
			host = authority.substring(authority.lastIndexOf('@') + 1);
			int colon = host.lastIndexOf(':');
			if (colon > host.lastIndexOf(']')) {
				port = port(host.substring(colon + 1));
				host = host.substring(0, colon);
			}
		}
		host = (host != null) ? host.toLowerCase(Locale.ROOT) : "";
		if (port == -1) {
			port = "https".equals(scheme) ? 443 : 80;
		}
		return scheme + "://" + host + ':' + port;
	}

	private static int port(String port) {
		try {
			return Integer.parseInt(port);
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

}
