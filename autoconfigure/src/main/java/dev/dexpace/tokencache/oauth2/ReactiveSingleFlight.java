package dev.dexpace.tokencache.oauth2;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

/**
 * Runs at most one action per key at a time, without blocking: subscribers that arrive
 * while an action for their key runs share its result, or its error.
 * <p>
 * The action is subscribed by the flight itself, not by any caller, so a caller that
 * cancels only stops listening: the action runs to its end for the others (and fills the
 * cache for the next call), and the flight leaves the table when the action terminates,
 * whoever still listens. The first caller's Reactor context is handed to the action.
 *
 * @param <K> the key type
 * @param <V> the result type
 */
final class ReactiveSingleFlight<K, V> {

	private final ConcurrentMap<K, Sinks.One<V>> inFlight = new ConcurrentHashMap<>();

	/**
	 * Run the action for the key, or join the run already in flight.
	 * @param key the key
	 * @param action the action, subscribed once if no run is in flight
	 * @return the result of the run
	 */
	Mono<V> run(K key, Supplier<Mono<V>> action) {
		return Mono.deferContextual((context) -> {
			Sinks.One<V> mine = Sinks.one();
			Sinks.One<V> leader = this.inFlight.putIfAbsent(key, mine);
			if (leader != null) {
				return leader.asMono();
			}
			start(key, mine, action, Context.of(context));
			return mine.asMono();
		});
	}

	private void start(K key, Sinks.One<V> flight, Supplier<Mono<V>> action, Context context) {
		Mono<V> run;
		try {
			run = action.get();
		}
		catch (RuntimeException ex) {
			run = Mono.error(ex);
		}
		// Leave the table before telling anyone, so a caller that reacts to the result and
		// asks again starts a new run (which finds the cache filled) instead of rejoining.
		run.contextWrite(context).subscribe((value) -> {
			this.inFlight.remove(key, flight);
			flight.tryEmitValue(value);
		}, (ex) -> {
			this.inFlight.remove(key, flight);
			flight.tryEmitError(ex);
		}, () -> {
			if (this.inFlight.remove(key, flight)) {
				flight.tryEmitEmpty();
			}
		});
	}

	/**
	 * Return how many keys have a run in flight.
	 * @return the number of runs
	 */
	int size() {
		return this.inFlight.size();
	}

}
