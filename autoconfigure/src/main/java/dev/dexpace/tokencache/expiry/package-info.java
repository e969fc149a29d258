/**
 * Expiry resolution: when a token really expires, from the raw token response and JWT claims.
 */
@NullMarked
package dev.dexpace.tokencache.expiry;

import org.jspecify.annotations.NullMarked;
