"""``livelike backends`` and ``livelike token ...``: seeing and moving saved tokens.

Nothing here prints a token.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from livelike import _validate as check
from livelike.errors import InvalidArgumentError, StorageError


def _registry() -> Any:
    from livelike._plugins import registry

    return registry()


def _effective_chain(args: argparse.Namespace) -> Any:
    from livelike._chain import resolve

    return resolve(getattr(args, "storage", None), _registry())


def backends(args: argparse.Namespace) -> None:
    """Print every backend found, its distribution, order, abilities, viability and probe time."""
    from livelike._chain import default_order

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
    failures = [{"plugin": f.plugin, "error": f.error} for f in registry.failures]
    unknown = [{"plugin": f.plugin, "error": f.error} for f in registry.pending]
    if args.json:
        out = {"backends": rows, "failed_plugins": failures, "unknown_hooks": unknown}
        print(json.dumps({**out, "error": chain_error}))
        return
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
    for failure in unknown:
        print(f"plugin {failure['plugin']} {failure['error']}")
    if chain_error:
        print(f"error: {chain_error}")


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

    items = list(listing(_effective_chain(args).backends))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "backend": i.backend,
                        **i.key.as_dict(),
                        "profile_id": i.profile_id,
                        "age_seconds": i.age_seconds,
                        "replaced_tokens": i.replaced,
                        "error": i.error,
                    }
                    for i in items
                ]
            )
        )
        return
    if not items:
        print("no saved tokens")
    for i in items:
        if i.error:
            print(f"{i.backend:<8} {i.key.client_id} {i.key.subject!r}: error: {i.error}")
            continue
        print(
            f"{i.backend:<8} {i.key.api_origin} client {i.key.client_id} subject "
            f"{i.key.subject!r} profile {i.profile_id} age {_age(i.age_seconds)}"
            + (f" ({i.replaced} replaced)" if i.replaced else "")
        )


def token_migrate(args: argparse.Namespace) -> None:
    """Move saved tokens into the backend named by ``--to``."""
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
    keys = None
    if not args.all:
        if not args.client_id:
            raise InvalidArgumentError("pass --client-id (and --subject), or --all")
        from livelike._client import LiveLike

        client = LiveLike(args.client_id, api_url=args.api_url, storage=args.storage)
        keys = [StorageKey(client.api_origin, client.client_id, check.subject(args.subject))]
    results = migrate(target, chain.backends, keys)
    if not results:
        print(f"nothing to migrate into {args.to}")
    for r in results:
        print(f"{r.outcome}: {r.key} from {r.source} to {args.to}")
    conflicts = [r for r in results if r.outcome == "conflict"]
    if conflicts:
        raise StorageError(
            f"{len(conflicts)} key(s) hold a different token in {args.to!r}; both were kept "
            "as they are. Forget one of them first."
        )
