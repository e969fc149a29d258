package dev.dexpace.tokencache.sample;

import java.util.Arrays;
import java.util.function.Predicate;

import org.springframework.web.service.registry.HttpServiceGroup;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer.ClientCallback;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer.GroupCallback;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer.Groups;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer.InitializingClientCallback;
import org.springframework.web.service.registry.HttpServiceGroupConfigurer.ProxyFactoryCallback;

/**
 * Some of the HTTP service groups, for a configurer written for all of them. Unlike
 * {@link Groups#filter(Predicate)}, whose selection lasts for one callback only, the
 * selection holds for every callback the configurer registers.
 *
 * @param <CB> the type of client builder
 */
final class SelectedGroups<CB> implements Groups<CB> {

	private final Groups<CB> groups;

	private final Predicate<HttpServiceGroup> selected;

	private SelectedGroups(Groups<CB> groups, Predicate<HttpServiceGroup> selected) {
		this.groups = groups;
		this.selected = selected;
	}

	static <CB> Groups<CB> named(Groups<CB> groups, String name) {
		return new SelectedGroups<>(groups, (group) -> group.name().equals(name));
	}

	static <CB> Groups<CB> allBut(Groups<CB> groups, String name) {
		return new SelectedGroups<>(groups, (group) -> !group.name().equals(name));
	}

	@Override
	public Groups<CB> filterByName(String... groupNames) {
		return filter((group) -> Arrays.asList(groupNames).contains(group.name()));
	}

	@Override
	public Groups<CB> filter(Predicate<HttpServiceGroup> predicate) {
		return new SelectedGroups<>(this.groups, this.selected.and(predicate));
	}

	@Override
	public void forEachClient(ClientCallback<CB> callback) {
		this.groups.filter(this.selected).forEachClient(callback);
	}

	@Override
	public void forEachClient(InitializingClientCallback<CB> callback) {
		this.groups.filter(this.selected).forEachClient(callback);
	}

	@Override
	public void forEachProxyFactory(ProxyFactoryCallback callback) {
		this.groups.filter(this.selected).forEachProxyFactory(callback);
	}

	@Override
	public void forEachGroup(GroupCallback<CB> callback) {
		this.groups.filter(this.selected).forEachGroup(callback);
	}

}
