package dev.dexpace.tokencache.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts the authorization server and the API on a random port, runs the same workload
 * through the token cache and through stock Spring Security, prints the figures side by
 * side and exits, unless {@code sample.keep-running=true}.
 *
 * @since 0.1.0
 */
@SpringBootApplication
@EnableConfigurationProperties(SampleProperties.class)
public class SampleApplication {

	public static void main(String[] args) {
		ConfigurableApplicationContext context = runAndReport(args);
		if (!context.getBean(SampleProperties.class).keepRunning()) {
			System.exit(SpringApplication.exit(context));
		}
	}

	/**
	 * Start the application, run the comparison and print its report.
	 * @param args the command line arguments
	 * @return the running application
	 */
	static ConfigurableApplicationContext runAndReport(String... args) {
		ConfigurableApplicationContext context = SpringApplication.run(SampleApplication.class, args);
		try {
			ComparisonReport report = context.getBean(Comparison.class).run();
			System.out.println(report.render());
			return context;
		}
		catch (RuntimeException ex) {
			// Closing the context stops the web server, whose threads would keep the JVM up.
			context.close();
			throw ex;
		}
	}

}
