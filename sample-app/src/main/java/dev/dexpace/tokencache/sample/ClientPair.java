package dev.dexpace.tokencache.sample;

import java.util.function.Supplier;

import dev.dexpace.tokencache.sample.Workload.Call;

/**
 * One kind of client, twice: served by the token cache, and wired the way Spring Security
 * documents it.
 *
 * @param name the kind of client, as the report names it
 * @param stockWiring what stock Spring Security puts on the client
 * @param tokenCache supplies a client served by the token cache
 * @param stock supplies a stock client that holds no token yet
 */
record ClientPair(String name, String stockWiring, Supplier<Call> tokenCache, Supplier<Call> stock) {

}
