/**
 * JMH benchmarks of the token caches.
 */
@NullMarked
package dev.dexpace.tokencache.benchmarks;

import org.jspecify.annotations.NullMarked;
