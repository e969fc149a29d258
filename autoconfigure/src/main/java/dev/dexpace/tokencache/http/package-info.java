/**
 * RestClient integration: bearer header, 401 handling and one retry.
 */
@NullMarked
package dev.dexpace.tokencache.http;

import org.jspecify.annotations.NullMarked;
