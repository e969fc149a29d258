package dev.dexpace.tokencache.expiry;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Reads a time a token endpoint states ({@code expires_in}, {@code expires_at},
 * {@code exp}) as whole seconds, whatever JSON or string form it takes, without ever
 * throwing, overflowing or allocating more than a few bytes for a huge number.
 */
final class StatedTime {

	/**
	 * The largest magnitude kept: the epoch second of {@link Instant#MAX}.
	 */
	static final long LIMIT = Instant.MAX.getEpochSecond();

	private static final BigDecimal LIMIT_DECIMAL = BigDecimal.valueOf(LIMIT);

	private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d{1,40}(\\.\\d{0,40})?|\\.\\d{1,40})([eE][+-]?\\d{1,3})?");

	private StatedTime() {
	}

	/**
	 * Return the value as whole seconds, rounded down (a fraction of a second left is no
	 * time left) and clamped to plus or minus {@link #LIMIT}.
	 * @param value a JSON number or a string holding one
	 * @return the seconds, or {@code null} if the value is not a number
	 */
	static @Nullable Long seconds(@Nullable Object value) {
		BigDecimal number = decimal(value);
		if (number == null) {
			return null;
		}
		if (number.compareTo(LIMIT_DECIMAL) >= 0) {
			return LIMIT;
		}
		if (number.compareTo(LIMIT_DECIMAL.negate()) <= 0) {
			return -LIMIT;
		}
		return number.setScale(0, RoundingMode.FLOOR).longValueExact();
	}

	/**
	 * Return the instant of an epoch second clamped by {@link #seconds(Object)}.
	 * @param epochSecond the epoch second
	 * @return the instant
	 */
	static Instant epochSecond(long epochSecond) {
		return Instant.ofEpochSecond(Math.max(Instant.MIN.getEpochSecond(), Math.min(LIMIT, epochSecond)));
	}

	private static @Nullable BigDecimal decimal(@Nullable Object value) {
		if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
			return BigDecimal.valueOf(((Number) value).longValue());
		}
		if (value instanceof Double || value instanceof Float) {
			double number = ((Number) value).doubleValue();
			if (Double.isNaN(number)) {
				return null;
			}
			if (Double.isInfinite(number)) {
				return (number > 0) ? LIMIT_DECIMAL : LIMIT_DECIMAL.negate();
			}
			return BigDecimal.valueOf(number);
		}
		if (value instanceof BigInteger integer) {
			return new BigDecimal(integer);
		}
		if (value instanceof BigDecimal decimal) {
			return bounded(decimal);
		}
		if (value instanceof String text) {
			String trimmed = text.strip();
			if (trimmed.length() > 100 || !NUMBER.matcher(trimmed).matches()) {
				return null;
			}
			return bounded(new BigDecimal(trimmed));
		}
		return null;
	}

	/**
	 * Rounding a decimal with a huge scale (such as {@code 1e-999999999}) computes a power
	 * of ten of that many digits: go through a double instead, which is exact enough for
	 * whole seconds.
	 */
	private static @Nullable BigDecimal bounded(BigDecimal decimal) {
		if (Math.abs(decimal.scale()) <= 64) {
			return decimal;
		}
		return decimal(decimal.doubleValue());
	}

}
