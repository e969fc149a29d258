/**
 * RestClient and WebClient integration: bearer header, 401 handling and one retry that
 * sends exactly what the first attempt sent.
 */
@NullMarked
package dev.dexpace.tokencache.http;

import org.jspecify.annotations.NullMarked;
