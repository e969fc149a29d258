package dev.dexpace.tokencache.sample;

import java.util.ArrayList;
import java.util.List;
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
 * Starts the sample the way its command line does and reads the printed report: a table
 * for each of RestClient, WebClient and an HTTP service client.
 */
@ExtendWith(OutputCaptureExtension.class)
class SampleApplicationTests {

	private static final Pattern TABLE_TITLE = Pattern.compile("(?m)^[\\w ]+ \\(stock: \\w+\\)$");

	private static final Pattern TOKEN_REQUESTS = Pattern.compile("token requests\\s+(\\d+)\\s+(\\d+)");

	@Test
	void printsTheReportWithoutTokenValuesAndStopsWithStatusZero(CapturedOutput output) {
		ConfigurableApplicationContext context = SampleApplication.runAndReport("--sample.calls=40",
				"--sample.threads=4", "--sample.users=10", "--sample.warm-up-calls=10");
		assertThat(SpringApplication.exit(context)).isZero();
		assertThat(context.isActive()).isFalse();
		String report = output.getOut();
		assertThat(report).contains("40 calls to the API per client from 4 threads for 10 users")
			.contains("first made 10 warm-up calls");
		List<String> tables = tables(report);
		assertThat(tables).hasSize(3);
		assertThat(tables.get(0)).startsWith("RestClient (stock: OAuth2ClientHttpRequestInterceptor)");
		assertThat(tables.get(1)).startsWith("WebClient (stock: ServletOAuth2AuthorizedClientExchangeFilterFunction)");
		assertThat(tables.get(2))
			.startsWith("HTTP service client (stock: OAuth2RestClientHttpServiceGroupConfigurer)");
		for (String table : tables) {
			assertThat(table).containsPattern("dexpace token cache\\s+stock Spring Security")
				.containsPattern("calls\\s+40\\s+40")
				.containsPattern("failed calls\\s+0\\s+0")
				.contains("Stock Spring Security made")
				.containsPattern("Token cache hit ratio \\(metric dexpace.token.cache.lookups\\): \\d+\\.\\d\\d %")
				.contains("while the API revokes the token of call 20");
			Matcher tokenRequests = TOKEN_REQUESTS.matcher(table);
			assertThat(tokenRequests.find()).isTrue();
			assertThat(Integer.parseInt(tokenRequests.group(1))).isEqualTo(1);
			assertThat(Integer.parseInt(tokenRequests.group(2))).isGreaterThanOrEqualTo(10);
		}
		assertThat(output.getAll()).contains("Token cache: type=memory, max-system-tokens=32");
		// Access tokens of the embedded server are JWTs: three base64url parts.
		assertThat(output.getAll()).doesNotContainPattern("eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+");
	}

	/**
	 * The report's tables, one per kind of client, each from its title line on.
	 */
	private static List<String> tables(String report) {
		List<String> tables = new ArrayList<>();
		Matcher title = TABLE_TITLE.matcher(report);
		int start = -1;
		while (title.find()) {
			if (start >= 0) {
				tables.add(report.substring(start, title.start()));
			}
			start = title.start();
		}
		if (start >= 0) {
			tables.add(report.substring(start));
		}
		return tables;
	}

}
