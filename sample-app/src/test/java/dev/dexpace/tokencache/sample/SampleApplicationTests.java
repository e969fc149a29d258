package dev.dexpace.tokencache.sample;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts the sample the way its command line does and reads the printed report.
 */
@ExtendWith(OutputCaptureExtension.class)
class SampleApplicationTests {

	private static final Pattern TOKEN_REQUESTS = Pattern.compile("token requests\\s+(\\d+)\\s+(\\d+)");

	@Test
	void printsTheReportWithoutTokenValuesAndStopsWithStatusZero(CapturedOutput output) {
		ConfigurableApplicationContext context = SampleApplication.runAndReport("--sample.calls=40",
				"--sample.threads=4", "--sample.users=10", "--sample.warm-up-calls=10");
		assertThat(SpringApplication.exit(context)).isZero();
		assertThat(context.isActive()).isFalse();
		String report = output.getOut();
		assertThat(report).contains("40 calls to the API from 4 threads for 10 users")
			.containsPattern("dexpace token cache\\s+stock Spring Security")
			.containsPattern("calls\\s+40\\s+40")
			.containsPattern("failed calls\\s+0\\s+0")
			.contains("Stock Spring Security made")
			.containsPattern("Token cache hit ratio \\(metric dexpace.token.cache.lookups\\): \\d+\\.\\d\\d %")
			.contains("first made 10 warm-up calls")
			.contains("while the API revokes the token of call 20");
		Matcher tokenRequests = TOKEN_REQUESTS.matcher(report);
		assertThat(tokenRequests.find()).isTrue();
		assertThat(Integer.parseInt(tokenRequests.group(1))).isEqualTo(1);
		assertThat(Integer.parseInt(tokenRequests.group(2))).isGreaterThanOrEqualTo(10);
		assertThat(output.getAll()).contains("Token cache: type=memory, max-system-tokens=32");
		// Access tokens of the embedded server are JWTs: three base64url parts.
		assertThat(output.getAll()).doesNotContainPattern("eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+");
	}

}
