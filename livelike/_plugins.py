"""Plugin discovery: default plugins, then the ``livelike`` entry-point group.

Plugins load once per process, lazily. A plugin whose import or hook fails is
logged and left out; the host and the other plugins keep working. Hook
implementations are called one by one so one failure never aborts the rest.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import attrs
import pluggy

from livelike import hookspecs
from livelike.storage import StorageBackend

logger = logging.getLogger("livelike")

ENTRY_POINT_GROUP = "livelike"
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


@attrs.define
class Registry:
    """The loaded plugin manager and the backends plugins registered."""

    manager: pluggy.PluginManager
    backends: dict[str, StorageBackend] = attrs.field(factory=dict)
    owners: dict[str, str] = attrs.field(factory=dict)
    failures: list[PluginFailure] = attrs.field(factory=list)

    def call_each(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of a hook, logging (not raising) failures."""
        hook = getattr(self.manager.hook, hook_name)
        for impl in hook.get_hookimpls():
            try:
                impl.function(**kwargs)
            except Exception as exc:  # a broken plugin never breaks the host
                logger.warning("plugin %s failed in %s: %s", impl.plugin_name, hook_name, exc)


_registry: Registry | None = None
_registry_lock = threading.Lock()


def _load(manager: pluggy.PluginManager, failures: list[PluginFailure]) -> None:
    for module_name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if manager.get_plugin(ep.name) is not None or manager.is_blocked(ep.name):
            continue
        try:
            manager.register(ep.load(), name=ep.name)
        except Exception as exc:
            logger.warning("livelike plugin %r could not be loaded: %s", ep.name, exc)
            failures.append(PluginFailure(ep.name, f"{type(exc).__name__}: {exc}"))


def _collect(registry: Registry) -> None:
    hook = registry.manager.hook.livelike_register_storage
    for impl in hook.get_hookimpls():
        found: list[StorageBackend] = []
        register: Callable[[StorageBackend], None] = found.append
        try:
            impl.function(register=register)
        except Exception as exc:
            logger.warning(
                "livelike plugin %r failed to register storage: %s", impl.plugin_name, exc
            )
            registry.failures.append(
                PluginFailure(impl.plugin_name, f"{type(exc).__name__}: {exc}")
            )
            continue
        for backend in found:
            if not isinstance(backend, StorageBackend):
                registry.failures.append(
                    PluginFailure(impl.plugin_name, f"registered {backend!r}, not a StorageBackend")
                )
            elif backend.name in registry.backends:
                registry.failures.append(
                    PluginFailure(impl.plugin_name, f"backend name {backend.name!r} is taken")
                )
            else:
                registry.backends[backend.name] = backend
                registry.owners[backend.name] = impl.plugin_name


def build_registry() -> Registry:
    """Build a fresh registry: default plugins, entry points, registered backends."""
    manager = pluggy.PluginManager("livelike")
    manager.add_hookspecs(hookspecs)
    failures: list[PluginFailure] = []
    _load(manager, failures)
    registry = Registry(manager=manager, failures=failures)
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
