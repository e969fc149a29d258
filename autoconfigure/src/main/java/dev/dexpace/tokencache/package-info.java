/**
 * The token cache SPI and its value types.
 */
@NullMarked
package dev.dexpace.tokencache;

import org.jspecify.annotations.NullMarked;
