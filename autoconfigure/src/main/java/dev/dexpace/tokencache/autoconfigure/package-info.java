/**
 * Auto-configuration of the token cache and its properties.
 */
@NullMarked
package dev.dexpace.tokencache.autoconfigure;

import org.jspecify.annotations.NullMarked;
