/**
 * Actuator support of the token cache: the {@code tokencache} endpoint and the health of
 * the Redis-backed cache.
 */
@NullMarked
package dev.dexpace.tokencache.actuate;

import org.jspecify.annotations.NullMarked;
