package dev.dexpace.tokencache.sample;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The API's revocation list. When armed, the API revokes the token of the n-th call it
 * serves, as an operator would revoke a leaked token, and rejects that token from then
 * on.
 */
final class RevokedTokens {

	private final Set<String> revoked = ConcurrentHashMap.newKeySet();

	private final AtomicLong served = new AtomicLong();

	private volatile long revokeAtCall;

	/**
	 * Revoke the token of the given call from now on, counting from 1.
	 * @param call the call whose token is revoked, or 0 to revoke nothing
	 */
	void revokeAtCall(long call) {
		this.served.set(0);
		this.revokeAtCall = call;
	}

	/**
	 * Record a call the API served with the given token.
	 * @param jwt the token of the call
	 */
	void served(Jwt jwt) {
		long call = this.served.incrementAndGet();
		if (call == this.revokeAtCall) {
			this.revoked.add(jwt.getTokenValue());
		}
	}

	boolean isRevoked(Jwt jwt) {
		return this.revoked.contains(jwt.getTokenValue());
	}

}
