package dev.dexpace.tokencache.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches the configuration of one {@link TokenCacheType}. The type is bound like the
 * properties are, so an unknown {@code dexpace.token-cache.type} fails start-up with
 * Spring Boot's binding error naming the property and the value, instead of leaving the
 * application without a cache.
 */
abstract class OnTokenCacheTypeCondition extends SpringBootCondition {

	private static final String TYPE = TokenCacheProperties.CONFIG_PREFIX + ".type";

	private final TokenCacheType type;

	OnTokenCacheTypeCondition(TokenCacheType type) {
		this.type = type;
	}

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		BindResult<TokenCacheType> bound = Binder.get(context.getEnvironment()).bind(TYPE, TokenCacheType.class);
		TokenCacheType configured = bound.orElse(TokenCacheType.MEMORY);
		if (configured == this.type) {
			return ConditionOutcome.match(TYPE + " is " + configured);
		}
		return ConditionOutcome.noMatch(TYPE + " is " + configured + ", not " + this.type);
	}

	static final class Memory extends OnTokenCacheTypeCondition {

		Memory() {
			super(TokenCacheType.MEMORY);
		}

	}

	static final class None extends OnTokenCacheTypeCondition {

		None() {
			super(TokenCacheType.NONE);
		}

	}

	static final class Redis extends OnTokenCacheTypeCondition {

		Redis() {
			super(TokenCacheType.REDIS);
		}

	}

}
