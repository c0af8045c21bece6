"""Plugin discovery: default plugins, then the ``livelike`` entry-point group.

Plugins load once per process, lazily. A plugin whose import or hook fails is
logged and left out; the host and the other plugins keep working. Hooks are
called through pluggy (so an implementation may take any subset of the hook's
arguments), one plugin at a time through :meth:`pluggy.PluginManager.subset_hook_caller`,
so one failure never aborts the rest. An implementation whose name matches no
hook (a misspelling: pluggy's ``check_pending`` rule) is reported per plugin.
``LIVELIKE_LOAD_PLUGINS`` limits which entry points load: a comma-separated
list of entry-point names, or empty for none (as llm does).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from livelike import hookspecs
from livelike._version import __version__
from livelike.storage import StorageBackend

if TYPE_CHECKING:
    from livelike._entrypoints import EntryPoint

logger = logging.getLogger("livelike")

ENTRY_POINT_GROUP = "livelike"
LOAD_VARIABLE = "LIVELIKE_LOAD_PLUGINS"
DEFAULT_PLUGINS = (
    "livelike._audit",
    "livelike.backends.env",
    "livelike.backends.file",
    "livelike.backends.memory",
)


@attrs.frozen
class PluginFailure:
    """A plugin that could not load or register: its name and the error text."""

    plugin: str
    error: str


@attrs.frozen
class Viability:
    """Whether a backend can work on this machine, why not, and how long the probe took."""

    viable: bool
    reason: str | None
    seconds: float


@attrs.define
class Registry:
    """The loaded plugin manager and the backends plugins registered."""

    manager: pluggy.PluginManager
    backends: dict[str, StorageBackend] = attrs.field(factory=dict)
    owners: dict[str, str] = attrs.field(factory=dict)
    distributions: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    failures: list[PluginFailure] = attrs.field(factory=list)
    pending: list[PluginFailure] = attrs.field(factory=list)
    _viability: dict[str, Viability] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def each_plugin(self, hook_name: str) -> list[tuple[str, pluggy.HookCaller]]:
        """(plugin name, a pluggy caller of that plugin's implementation only) for
        every plugin implementing ``hook_name``, in registration order."""
        manager = self.manager
        hook: pluggy.HookCaller = getattr(manager.hook, hook_name)
        plugins = [plugin for _, plugin in manager.list_name_plugin()]
        callers = []
        for impl in hook.get_hookimpls():
            others = [plugin for plugin in plugins if plugin is not impl.plugin]
            callers.append((impl.plugin_name, manager.subset_hook_caller(hook_name, others)))
        return callers

    def call_each(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of a hook through pluggy, logging (not raising) failures."""
        for plugin_name, caller in self.each_plugin(hook_name):
            try:
                caller(**kwargs)
            except Exception as exc:  # a broken plugin never breaks the host
                logger.warning("plugin %s failed in %s: %s", plugin_name, hook_name, exc)

    def filtered(self) -> list[EntryPoint]:
        """The installed entry points ``LIVELIKE_LOAD_PLUGINS`` keeps from loading (looked
        up when asked: only an error or a report needs them)."""
        wanted = _wanted()
        if wanted is None:
            return []
        from livelike._entrypoints import discover

        return [ep for ep in discover(ENTRY_POINT_GROUP) if ep.name not in wanted]

    def distribution(self, backend_name: str) -> tuple[str, str]:
        """(distribution name, version) that ships a backend."""
        owner = self.owners.get(backend_name, "")
        return self.distributions.get(owner, ("livelike-sdk", __version__))

    def viability(self, backend: StorageBackend, *, again: bool = False) -> Viability:
        """Probe ``backend`` once per process (see :meth:`StorageBackend.probe`).

        A usable result is kept; with ``again``, an unusable one is probed
        again (a keyring unlocked since is seen at once; storage chains ask
        so, once each, when they first need the backend).
        """
        with self._lock:
            known = self._viability.get(backend.name)
            if known is not None and again and not known.viable:
                del self._viability[backend.name]
                known = None
        if known is not None:
            return known
        started = time.perf_counter()
        try:
            backend.probe()
        except Exception as exc:
            result = Viability(False, str(exc) or type(exc).__name__, time.perf_counter() - started)
            logger.info("storage backend %r is not usable here: %s", backend.name, result.reason)
        else:
            result = Viability(True, None, time.perf_counter() - started)
        with self._lock:
            return self._viability.setdefault(backend.name, result)


_registry: Registry | None = None
_registry_lock = threading.Lock()


def _wanted() -> set[str] | None:
    """Entry-point names to load, or None for all."""
    value = os.environ.get(LOAD_VARIABLE)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load_entry_point(value: str) -> Any:
    """Import ``module`` or ``module:attr.path`` as an entry point does."""
    module_name, _, attrs_path = value.partition(":")
    loaded: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attrs_path.strip().split(".")):
        loaded = getattr(loaded, part)
    return loaded


def _load(registry: Registry) -> None:
    manager = registry.manager
    for module_name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    wanted = _wanted()
    if wanted is not None and not wanted:
        return
    from livelike._entrypoints import discover

    for ep in discover(ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        if manager.get_plugin(ep.name) is not None or manager.is_blocked(ep.name):
            continue
        registry.distributions[ep.name] = (ep.distribution, ep.version)
        try:
            manager.register(_load_entry_point(ep.value), name=ep.name)
        except Exception as exc:
            logger.warning("livelike plugin %r could not be loaded: %s", ep.name, exc)
            registry.failures.append(PluginFailure(ep.name, f"{type(exc).__name__}: {exc}"))


def _check_pending(registry: Registry) -> None:
    """pluggy's ``check_pending`` rule, per plugin: every implementation of a hook
    without a spec (not marked ``optionalhook``) is reported, with the hook it may mean."""
    manager = registry.manager
    known = [name for name in dir(hookspecs) if name.startswith("livelike_")]
    for name, hook in sorted(vars(manager.hook).items()):
        if name.startswith("_") or hook.has_spec():
            continue
        for impl in hook.get_hookimpls():
            if impl.optionalhook:
                continue
            import difflib  # only a misspelled hook needs it

            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            error = f"implements unknown hook {name!r}{hint}; it is never called"
            logger.warning("livelike plugin %r %s", impl.plugin_name, error)
            registry.pending.append(PluginFailure(impl.plugin_name, error))


def _collect(registry: Registry) -> None:
    for plugin_name, caller in registry.each_plugin("livelike_register_storage"):
        found: list[StorageBackend] = []
        register: Callable[[StorageBackend], None] = found.append
        try:
            caller(register=register)
        except Exception as exc:
            logger.warning("livelike plugin %r failed to register storage: %s", plugin_name, exc)
            registry.failures.append(PluginFailure(plugin_name, f"{type(exc).__name__}: {exc}"))
            continue
        for backend in found:
            if not isinstance(backend, StorageBackend):
                registry.failures.append(
                    PluginFailure(plugin_name, f"registered {backend!r}, not a StorageBackend")
                )
            elif backend.name in registry.backends:
                registry.failures.append(
                    PluginFailure(plugin_name, f"backend name {backend.name!r} is taken")
                )
            else:
                registry.backends[backend.name] = backend
                registry.owners[backend.name] = plugin_name


def build_registry() -> Registry:
    """Build a fresh registry: default plugins, entry points, registered backends."""
    manager = pluggy.PluginManager("livelike")
    manager.add_hookspecs(hookspecs)
    registry = Registry(manager=manager)
    _load(registry)
    _check_pending(registry)
    _collect(registry)
    return registry


def registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = build_registry()
        return _registry


def reset_registry() -> None:
    """Forget the loaded plugins so the next use loads them again (for tests)."""
    global _registry
    with _registry_lock:
        _registry = None
