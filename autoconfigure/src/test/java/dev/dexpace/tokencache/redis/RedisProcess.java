package dev.dexpace.tokencache.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import redis.embedded.RedisServer;
import redis.embedded.core.RedisServerBuilder;

/**
 * A real {@code redis-server} process (the binary bundled with embedded-redis) on a free
 * loopback port, with persistence off. It can be killed and started again on the same
 * port.
 */
final class RedisProcess implements AutoCloseable {

	private final int port;

	private final String[] settings;

	private RedisServer server;

	private RedisProcess(int port, String... settings) {
		this.port = port;
		this.settings = settings;
	}

	/**
	 * Start a server on a free port.
	 * @param settings extra redis.conf lines
	 * @return the running server
	 */
	static RedisProcess launch(String... settings) {
		RedisProcess process = new RedisProcess(freePort(), settings);
		process.start();
		return process;
	}

	/**
	 * Reserve a free port for a server that is not started yet: clients find nothing
	 * listening there until {@link #start()}.
	 * @param settings extra redis.conf lines
	 * @return the server, not running
	 */
	static RedisProcess reserve(String... settings) {
		return new RedisProcess(freePort(), settings);
	}

	/**
	 * Start the server (again) on its port.
	 */
	synchronized void start() {
		try {
			RedisServerBuilder builder = RedisServer.newRedisServer()
				.port(this.port)
				.setting("save \"\"")
				.setting("appendonly no")
				.onShutdownForceStop(true);
			for (String setting : this.settings) {
				builder.setting(setting);
			}
			this.server = builder.build();
			this.server.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Kill the server process (SIGKILL): clients see the connection drop.
	 */
	synchronized void kill() {
		try {
			if (this.server != null) {
				this.server.stop();
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	int port() {
		return this.port;
	}

	@Override
	public void close() {
		kill();
	}

	static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
