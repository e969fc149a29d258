/**
 * The token endpoint, decided once for the RestClient and the WebClient token clients:
 * body limit, status-to-error mapping, {@code Retry-After}, redaction of the request
 * form, client authentication and timeouts. Free of Spring Boot.
 */
@NullMarked
package dev.dexpace.tokencache.endpoint;

import org.jspecify.annotations.NullMarked;
