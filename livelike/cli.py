"""The ``livelike`` command: a thin layer over the public API.

Errors print one line on stderr and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from livelike import _cli_storage
from livelike import _validate as check
from livelike._version import __version__
from livelike.errors import LiveLikeError

CLIENT_ID_VARIABLE = "LIVELIKE_CLIENT_ID"


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-id",
        default=os.environ.get(CLIENT_ID_VARIABLE),
        help=f"the application's client id (default: ${CLIENT_ID_VARIABLE})",
    )
    parser.add_argument("--subject", default="default", help="whose profile (default: default)")
    parser.add_argument("--api-url", default=None, help="API base URL (default: $LIVELIKE_API_URL)")
    parser.add_argument(
        "--storage", default=None, help="storage backends, e.g. 'file' or 'env,file'"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livelike", description="LiveLike user profiles.")
    parser.add_argument("--version", action="version", version=f"livelike {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="load the saved profile, or create and save one")
    _client_options(init)
    init.add_argument("--json", action="store_true", help="print the profile as JSON")

    profile = commands.add_parser("profile", help="show or update the saved profile")
    profile_commands = profile.add_subparsers(
        dest="profile_command", required=True, metavar="ACTION"
    )
    show = profile_commands.add_parser("show", help="show the saved profile (never creates one)")
    _client_options(show)
    show.add_argument("--json", action="store_true", help="print the profile as JSON")
    update = profile_commands.add_parser("update", help="change the saved profile")
    _client_options(update)
    update.add_argument("--nickname", help="new nickname, 1 to 20 characters")
    update.add_argument("--custom-data", help="new custom data (a string)")
    update.add_argument("--json", action="store_true", help="print the profile as JSON")

    token = commands.add_parser("token", help="manage saved tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    forget = token_commands.add_parser(
        "forget", help="move the saved token aside (kept on disk, no longer used)"
    )
    _client_options(forget)
    accept = token_commands.add_parser(
        "accept-lost",
        help="accept that an in-doubt create lost its profile; allow one new create (audited)",
    )
    _client_options(accept)
    history = token_commands.add_parser(
        "history", help="profiles created (audit log) and tokens replaced; never shows tokens"
    )
    _client_options(history)
    history.set_defaults(subject=None)
    history.add_argument("--json", action="store_true", help="print JSON")
    listing = token_commands.add_parser("list", help="saved keys, backend and age; never tokens")
    listing.add_argument("--storage", default=None, help="backends to list (default: the chain)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    migrate = token_commands.add_parser(
        "migrate", help="copy tokens into another backend, verify, then remove the originals"
    )
    _client_options(migrate)
    migrate.add_argument("--to", required=True, help="the backend to move tokens into")
    migrate.add_argument("--all", action="store_true", help="every key, not one client/subject")

    found = commands.add_parser("backends", help="storage backends found, in order, and why not")
    found.add_argument("--storage", default=None, help="the chain to show (default: as init)")
    found.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser("emulator", help="run the LiveLike API emulator", add_help=False)
    return parser


def _profile_json(profile: Any) -> dict[str, Any]:
    return {
        "id": profile.id,
        "nickname": profile.nickname,
        "custom_data": profile.custom_data,
        "created_at": profile.created_at.isoformat() if profile.created_at else None,
        "client_id": profile.client_id,
        "source": profile.source,
    }


def _print_profile(profile: Any, as_json: bool, otherwise: str = "loaded") -> None:
    if as_json:
        print(json.dumps(_profile_json(profile), indent=2))
        return
    verb = {
        "created": "created (counts towards Monthly Active Users)",
        "saved": "reused from saved token",
    }.get(profile.source, otherwise)
    print(f"profile {profile.id} {profile.nickname!r}: {verb}")


def _client(args: argparse.Namespace) -> Any:
    from livelike import LiveLike

    if not args.client_id:
        raise _UsageError(f"pass --client-id or set {CLIENT_ID_VARIABLE}")
    return LiveLike(args.client_id, api_url=args.api_url, storage=args.storage)


class _UsageError(Exception):
    pass


def _history(args: argparse.Namespace) -> None:
    from livelike import _audit

    created = [
        e
        for e in _audit.entries()
        if (not args.client_id or e.get("client_id") == args.client_id)
        and (args.subject is None or e.get("subject") == args.subject)
    ]
    subject = args.subject or "default"
    replaced: list[dict[str, Any]] = []
    if args.client_id:
        with _client(args) as client:
            record = client.saved_record(subject)
        for old in record.history if record is not None else ():
            replaced.append(
                {
                    "profile_id": old.profile_id,
                    "saved_at": old.saved_at.isoformat(),
                    "retired_at": old.retired_at.isoformat(),
                    "reason": old.reason,
                }
            )
    if args.json:
        print(json.dumps({"created": created, "replaced": replaced}, indent=2))
        return
    print(f"profiles created ({_audit.audit_path()}):")
    for e in created:
        print(
            f"  {e.get('time')}  {e.get('event', 'created')}  {e.get('profile_id') or '-'}  "
            f"client {e.get('client_id')} "
            f"subject {e.get('subject')!r}  {e.get('reason')}"
        )
    if args.client_id:
        print(f"tokens replaced for subject {subject!r}:")
        for r in replaced:
            print(f"  {r['retired_at']}  profile {r['profile_id']}  {r['reason']}")


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        with _client(args) as client:
            _print_profile(client.init(subject=args.subject), args.json)
    elif args.command == "profile":
        updating = args.profile_command == "update"
        if updating:
            if args.nickname is None and args.custom_data is None:
                raise _UsageError("profile update needs --nickname or --custom-data")
            if args.nickname is not None:
                check.nickname(args.nickname)  # before any request
        with _client(args) as client:
            profile = client.init(subject=args.subject, create=False)
            if updating:
                profile = client.update_user_profile(
                    nickname=args.nickname, custom_data=args.custom_data
                )
            _print_profile(profile, args.json, "updated" if updating else "loaded")
    elif args.command == "backends":
        _cli_storage.backends(args)
    elif args.command == "token" and args.token_command == "list":
        _cli_storage.token_list(args)
    elif args.command == "token" and args.token_command == "migrate":
        _cli_storage.token_migrate(args)
    elif args.command == "token" and args.token_command == "history":
        _history(args)
    elif args.command == "token" and args.token_command == "accept-lost":
        with _client(args) as client:
            if client.accept_lost_create(args.subject):
                print(f"accepted the lost create for subject {args.subject!r}: init may create")
            else:
                print(f"no create in doubt for subject {args.subject!r}")
    elif args.command == "token":
        with _client(args) as client:
            moved = client.forget(args.subject)
            if not moved:
                print(f"no saved token for subject {args.subject!r}")
            for name in moved:
                print(f"forgot the token saved for subject {args.subject!r} in {name} storage")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        from livelike.emulator._cli import main as emulator_main

        return emulator_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except _UsageError as exc:
        parser.error(str(exc))
    except LiveLikeError as exc:
        print(f"livelike: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
