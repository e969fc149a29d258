/**
 * Small TokenCache implementations and helpers shared by the other packages.
 */
@NullMarked
package dev.dexpace.tokencache.support;

import org.jspecify.annotations.NullMarked;
