/**
 * The default in-memory token cache: two bounded tiers with per-entry expiry on a monotonic clock.
 */
@NullMarked
package dev.dexpace.tokencache.memory;

import org.jspecify.annotations.NullMarked;
