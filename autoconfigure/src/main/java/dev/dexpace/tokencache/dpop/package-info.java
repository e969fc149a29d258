/**
 * DPoP (RFC 9449) for outgoing calls: proofs signed with a key of the application, the
 * nonces identity providers and resource servers ask for, and the decisions the token
 * clients and the RestClient and WebClient share. Free of Spring Boot.
 */
@NullMarked
package dev.dexpace.tokencache.dpop;

import org.jspecify.annotations.NullMarked;
