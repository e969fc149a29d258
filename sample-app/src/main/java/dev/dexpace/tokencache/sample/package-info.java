/**
 * A one-process sample: an authorization server, an API that accepts its tokens, and a
 * client that calls the API through the token cache and through stock Spring Security.
 */
@NullMarked
package dev.dexpace.tokencache.sample;

import org.jspecify.annotations.NullMarked;
