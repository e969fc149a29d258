package dev.dexpace.tokencache.test;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts a servlet application (an authorization server, a resource server) on a random
 * loopback port for a test, without letting Spring Boot reconfigure logging: that would
 * reset the suite-wide secret leak check.
 */
public final class LoopbackServers {

	private LoopbackServers() {
	}

	/**
	 * Start an application on {@code 127.0.0.1} and a random port.
	 * @param configuration the application's configuration class
	 * @param properties more properties, {@code name=value}
	 * @return the running application
	 */
	public static ConfigurableApplicationContext start(Class<?> configuration, String... properties) {
		List<String> all = new ArrayList<>(List.of("server.address=127.0.0.1", "server.port=0",
				"server.servlet.register-default-servlet=true", "spring.main.banner-mode=off"));
		all.addAll(List.of(properties));
		String loggingSystem = System.getProperty(LoggingSystem.SYSTEM_PROPERTY);
		System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
		try {
			return new SpringApplicationBuilder(configuration).web(WebApplicationType.SERVLET)
				.properties(all.toArray(String[]::new))
				.run();
		}
		finally {
			if (loggingSystem == null) {
				System.clearProperty(LoggingSystem.SYSTEM_PROPERTY);
			}
			else {
				System.setProperty(LoggingSystem.SYSTEM_PROPERTY, loggingSystem);
			}
		}
	}

	/**
	 * Return the base URI of an application started here.
	 * @param application the application
	 * @return {@code http://127.0.0.1:<port>}
	 */
	public static String baseUri(ConfigurableApplicationContext application) {
		return "http://127.0.0.1:" + ((WebServerApplicationContext) application).getWebServer().getPort();
	}

}
