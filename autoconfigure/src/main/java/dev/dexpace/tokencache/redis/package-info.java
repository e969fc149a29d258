/**
 * The Redis token cache: one cache shared by every instance of an application.
 */
@NullMarked
package dev.dexpace.tokencache.redis;

import org.jspecify.annotations.NullMarked;
