package dev.dexpace.tokencache.oauth2;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import dev.dexpace.tokencache.CachedToken;
import dev.dexpace.tokencache.TokenKey;
import dev.dexpace.tokencache.TokenKind;
import dev.dexpace.tokencache.memory.InMemoryTokenCache;
import dev.dexpace.tokencache.test.Bounded;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.jwt.Jwt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A token is never returned for a key other than the one it was stored under: for random
 * registrations, grant types, scopes, audiences and users, through
 * {@link DefaultTokenKeyResolver} and the in-memory cache. User A never gets user B's
 * token; scope "read" never gets a "read write" token; client_credentials tokens are
 * shared by every user of one registration and scope set, and by nobody else.
 */
class TokenIsolationPropertyTests {

	private static final String CLIENT = TokenKey.clientDigest("app", "http://127.0.0.1/token");

	private static final List<String> REGISTRATIONS = List.of("api", "api2", "orders", "Orders", "api ");

	private static final List<AuthorizationGrantType> GRANTS = List.of(AuthorizationGrantType.CLIENT_CREDENTIALS,
			AuthorizationGrantType.TOKEN_EXCHANGE, AuthorizationGrantType.JWT_BEARER);

	// Spring Security rejects a registration scope with a space: "read write" is two scopes.
	private static final List<String> SCOPES = List.of("read", "write", "admin", "READ", "read:all");

	private static final List<String> KEY_SCOPES = List.of("read", "write", "read write", "admin", "READ", "read:all");

	private static final List<String> USERS = List.of("alice", "bob", "carol", "mallory");

	@Property(tries = 300)
	void aTokenIsOnlyEverServedForTheRequestItWasFetchedFor(@ForAll("requests") List<Request> requests) {
		Bounded.within(() -> {
			DefaultTokenKeyResolver resolver = new DefaultTokenKeyResolver();
			InMemoryTokenCache cache = new InMemoryTokenCache(10_000, 10_000, Duration.ZERO);
			Map<Owner, CachedToken> stored = new HashMap<>();
			int n = 0;
			for (Request request : requests) {
				TokenKey key = resolver.resolve(request.registration(), request.principal());
				assertThat(key).isNotNull();
				CachedToken token = new CachedToken("token-" + (n++), "Bearer", Set.of(), null,
						Instant.now().plusSeconds(3600));
				cache.put(key, token);
				stored.put(request.owner(), token);
			}
			for (Request request : requests) {
				TokenKey key = resolver.resolve(request.registration(), request.principal());
				assertThat(cache.get(key)).as("token served for %s", request.owner()).isEqualTo(stored.get(request.owner()));
				assertThat(key.kind()).isEqualTo(request.owner().user() == null ? TokenKind.SYSTEM : TokenKind.USER);
			}
			return null;
		});
	}

	@Property(tries = 2000)
	void twoKeysAreEqualExactlyWhenTheyStandForTheSameRequest(@ForAll("keys") KeyParts a, @ForAll("keys") KeyParts b) {
		assertThat(a.key().equals(b.key())).isEqualTo(a.sameRequestAs(b));
		if (a.key().kind() == TokenKind.USER) {
			assertThat(a.key().toString()).doesNotContain(a.subject());
		}
	}

	@Provide
	Arbitrary<List<Request>> requests() {
		// A registration id has one grant type (a repository holds one registration per id),
		// drawn per try; scopes and users vary per request.
		Arbitrary<List<AuthorizationGrantType>> grants = Arbitraries.of(GRANTS)
			.list()
			.ofSize(REGISTRATIONS.size());
		return grants.flatMap((grantOf) -> Combinators
			.combine(Arbitraries.integers().between(0, REGISTRATIONS.size() - 1),
					Arbitraries.of(SCOPES).set().ofMaxSize(3), Arbitraries.of(USERS))
			.as((index, scopes, user) -> Request.of(REGISTRATIONS.get(index), grantOf.get(index), scopes, user))
			.list()
			.ofMinSize(1)
			.ofMaxSize(40));
	}

	@Provide
	Arbitrary<KeyParts> keys() {
		return Combinators
			.combine(Arbitraries.of(REGISTRATIONS), Arbitraries.of(TokenKind.class),
					Arbitraries.of(KEY_SCOPES).list().ofMaxSize(3), Arbitraries.of("aud-1", "aud-2", "").injectNull(0.3),
					Arbitraries.of(USERS))
			.as((registration, kind, scopes, audience, user) -> new KeyParts(registration, kind, scopes, audience,
					"subject-token-of-" + user + "-0123456789"));
	}

	/**
	 * Who a token was fetched for: registration, grant, scope set and, for grants that act
	 * for a user, the user.
	 */
	record Owner(String registration, AuthorizationGrantType grant, Set<String> scopes, String user) {

	}

	record Request(ClientRegistration registration, Authentication principal, Owner owner) {

		static Request of(String id, AuthorizationGrantType grant, Set<String> scopes, String user) {
			ClientRegistration registration = ClientRegistration.withRegistrationId(id)
				.clientId("app")
				.clientSecret("secret")
				.authorizationGrantType(grant)
				.scope(scopes)
				.tokenUri("http://127.0.0.1:9/token")
				.build();
			Jwt subject = Jwt.withTokenValue("subject-token-of-" + user)
				.header("alg", "none")
				.subject(user)
				.build();
			boolean perUser = !AuthorizationGrantType.CLIENT_CREDENTIALS.equals(grant);
			// Every principal also has the same name: keys must not rely on names.
			Authentication principal = new TestingAuthenticationToken(subject, null);
			return new Request(registration, principal,
					new Owner(id, perUser ? grant : AuthorizationGrantType.CLIENT_CREDENTIALS, new TreeSet<>(scopes),
							perUser ? user : null));
		}

	}

	record KeyParts(String registration, TokenKind kind, List<String> scopes, String audience, String subject) {

		/**
		 * An empty audience asks for no audience.
		 */
		private static String audience(String audience) {
			return (audience == null || audience.isEmpty()) ? null : audience;
		}

		TokenKey key() {
			return (this.kind == TokenKind.SYSTEM) ? TokenKey.system(this.registration, CLIENT,
					this.scopes, this.audience)
					: TokenKey.user(this.registration, CLIENT, this.subject, this.scopes, this.audience);
		}

		boolean sameRequestAs(KeyParts other) {
			return this.registration.equals(other.registration) && this.kind == other.kind
					&& new TreeSet<>(this.scopes).equals(new TreeSet<>(other.scopes))
					&& Objects.equals(audience(this.audience), audience(other.audience))
					&& (this.kind == TokenKind.SYSTEM || this.subject.equals(other.subject));
		}

	}

}
