/**
 * The caching OAuth2AuthorizedClientManager decorator, key derivation and single-flight token loading.
 */
@NullMarked
package dev.dexpace.tokencache.oauth2;

import org.jspecify.annotations.NullMarked;
