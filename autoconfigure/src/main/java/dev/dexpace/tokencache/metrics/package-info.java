/**
 * Micrometer metrics and the token fetch observation of the token cache.
 */
@NullMarked
package dev.dexpace.tokencache.metrics;

import org.jspecify.annotations.NullMarked;
