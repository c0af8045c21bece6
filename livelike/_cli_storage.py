"""``livelike backends`` and ``livelike token ...``: seeing and moving saved tokens.

Nothing here prints a token.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from livelike import _validate as check
from livelike.errors import InvalidArgumentError, StorageError

JSON_VERSION = 1
"""The version of every ``--json`` shape the command prints (documented in the README)."""


def emit(data: dict[str, Any]) -> None:
    """Print one versioned JSON object on stdout (the shapes are in the README)."""
    print(json.dumps({"version": JSON_VERSION, **data}, indent=2))


def filtered_plugins() -> list[dict[str, str]]:
    """Installed ``livelike`` entry points that ``LIVELIKE_LOAD_PLUGINS`` keeps from loading."""
    return [
        {"plugin": ep.name, "distribution": ep.distribution, "version": ep.version}
        for ep in _registry().filtered()
    ]


def _registry() -> Any:
    from livelike._plugins import registry

    return registry()


def _effective_chain(args: argparse.Namespace) -> Any:
    from livelike._selection import resolve

    return resolve(getattr(args, "storage", None), _registry())


def backend_rows(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str | None]:
    """One row per backend found (order, abilities, viability, lock scope...), and the
    error that kept the chosen chain from being built, if any."""
    from livelike._selection import default_order

    registry = _registry()
    try:
        chain = _effective_chain(args)
        chain_error = None
    except (InvalidArgumentError, StorageError) as exc:
        chain, chain_error = None, str(exc)
    order = {b.name: n for n, b in enumerate(chain.backends, 1)} if chain else {}
    primary = chain.primary.name if chain and chain.primary else None
    listed = default_order(registry.backends)
    listed += [b for b in registry.backends.values() if b not in listed]
    rows = []
    for backend in listed:
        dist, version = registry.distribution(backend.name)
        viability = registry.viability(backend)
        if not viability.viable:
            status = f"not viable: {viability.reason}"
        elif backend.name in order:
            status = "primary (saves go here)" if backend.name == primary else "consulted"
        elif not backend.in_default_chain():
            status = "available, only when chosen"
        else:
            status = "available, not chosen"
        rows.append(
            {
                "name": backend.name,
                "distribution": dist,
                "version": version,
                "order": order.get(backend.name),
                "readable": True,
                "writable": backend.writable,
                "persistent": backend.persistent,
                "lock_scope": backend.lock_scope,
                "viable": viability.viable,
                "reason": viability.reason,
                "status": status,
                "probe_ms": round(viability.seconds * 1000, 3),
                "location": backend.describe(),
            }
        )
    return rows, chain_error


def backends(args: argparse.Namespace) -> int:
    """Print every backend found, its distribution, order, abilities, viability and probe
    time; return 1 when the chosen chain cannot be built (an unknown backend, say)."""
    from livelike._plugins import LOAD_VARIABLE

    rows, chain_error = backend_rows(args)
    registry = _registry()
    failures = [{"plugin": f.plugin, "error": f.error} for f in registry.failures]
    filtered = filtered_plugins()
    unknown = [{"plugin": f.plugin, "error": f.error} for f in registry.pending]
    status = 1 if chain_error else 0
    if args.json:
        emit(
            {
                "backends": rows,
                "failed_plugins": failures,
                "filtered_plugins": filtered,
                "unknown_hooks": unknown,
                "chain_error": chain_error,
            }
        )
        return status
    print(
        f"{'ORDER':<6}{'NAME':<10}{'DISTRIBUTION':<26}{'WRITE':<7}{'LOCK':<9}{'PROBE':>9}  STATUS"
    )
    for row in rows:
        position = str(row["order"]) if row["order"] else "-"
        write = "yes" if row["writable"] else "no"
        dist = f"{row['distribution']} {row['version']}"
        print(
            f"{position:<6}{row['name']:<10}{dist:<26}{write:<7}{row['lock_scope']:<9}"
            f"{row['probe_ms']:>7.1f}ms  {row['status']}"
        )
    for failure in failures:
        print(f"failed plugin {failure['plugin']}: {failure['error']}")
    for plugin in filtered:
        print(
            f"filtered plugin {plugin['plugin']} ({plugin['distribution']} {plugin['version']}): "
            f"not loaded, {LOAD_VARIABLE}={os.environ.get(LOAD_VARIABLE, '')!r}"
        )
    for failure in unknown:
        print(f"plugin {failure['plugin']} {failure['error']}")
    if chain_error:
        print(f"error: {chain_error}")
    return status


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def token_list(args: argparse.Namespace) -> None:
    """Print the saved keys of every backend in the chain, with profile id and age."""
    from livelike._tokens import listing

    registry = _registry()
    chain = _effective_chain(args)
    others = [
        b
        for b in registry.backends.values()
        if b not in chain.backends and b.persistent and registry.viability(b).viable
    ]
    items = list(listing(chain, others))
    if args.json:
        emit(
            {
                "tokens": [
                    {
                        "backend": i.backend,
                        **i.key.as_dict(),
                        "profile_id": i.profile_id,
                        "age_seconds": i.age_seconds,
                        "replaced_tokens": i.replaced,
                        "in_chain": i.in_chain,
                        "in_doubt_since": i.in_doubt_since,
                        "error": i.error,
                    }
                    for i in items
                ]
            }
        )
        return
    if not items:
        print("no saved tokens")
    for i in items:
        if i.error:
            print(f"{i.backend:<8} {i.key.client_id} {i.key.subject!r}: error: {i.error}")
            continue
        what = (
            f"create in doubt since {i.in_doubt_since}"
            if i.in_doubt_since
            else f"profile {i.profile_id} age {_age(i.age_seconds)}"
        )
        print(
            f"{i.backend:<8} {i.key.api_origin} client {i.key.client_id} subject "
            f"{i.key.subject!r} {what}"
            + (f" ({i.replaced} replaced)" if i.replaced else "")
            + ("" if i.in_chain else " [outside the storage chain: not consulted]")
        )


def token_migrate(args: argparse.Namespace) -> int:
    """Move saved tokens into the backend named by ``--to``; 1 if any conflicted."""
    from livelike._tokens import migrate
    from livelike.storage import StorageKey

    registry = _registry()
    target = registry.backends.get(args.to)
    if target is None:
        known = ", ".join(sorted(registry.backends))
        raise InvalidArgumentError(f"unknown storage backend {args.to!r}; available: {known}")
    viability = registry.viability(target)
    if not viability.viable or not target.writable or not target.persistent:
        why = viability.reason or "it is read-only or keeps nothing after exit"
        raise StorageError(f"cannot migrate into {args.to!r}: {why}", backend=args.to)
    chain = _effective_chain(args)
    from livelike._selection import resolve

    if target not in resolve(None, registry).backends:
        print(
            f"warning: {args.to!r} is outside the default storage chain, so init will not "
            f"find the migrated tokens unless it is chosen: set LIVELIKE_STORAGE={args.to} "
            f"(or storage={args.to!r}, or storage in config.toml)",
            file=sys.stderr,
        )
    keys = None
    if not args.all:
        if not args.client_id:
            raise InvalidArgumentError("pass --client-id (and --subject), or --all")
        from livelike._client import LiveLike

        client = LiveLike(args.client_id, api_url=args.api_url, storage=args.storage)
        keys = [StorageKey(client.api_origin, client.client_id, check.subject(args.subject))]
    results = migrate(target, chain.backends, keys)
    conflicts = [r for r in results if r.outcome == "conflict"]
    problem = (
        f"{len(conflicts)} key(s) hold a different token in {args.to!r}; both were kept "
        "as they are. Forget one of them first."
    )
    if args.json:
        shown = [{"outcome": r.outcome, **r.key.as_dict(), "source": r.source} for r in results]
        error = {"error": "StorageError", "message": problem} if conflicts else {}
        emit({"target": args.to, "results": shown, **error})
        return 1 if conflicts else 0
    if not results:
        print(f"nothing to migrate into {args.to}")
    for r in results:
        print(f"{r.outcome}: {r.key} from {r.source} to {args.to}")
    if conflicts:
        raise StorageError(problem)
    return 0
