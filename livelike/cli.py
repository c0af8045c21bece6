"""The ``livelike`` command: a thin layer over the public API.

Exit status: 0 on success, 2 for a usage error, 1 for any other error; an error
is one line on stderr (``livelike: error: ...``). With ``--json`` every command
prints one JSON object on stdout, errors included
(``{"version": 1, "error": KIND, "message": TEXT}``), with the same exit status.
The JSON shapes are documented in the README and carry ``"version": 1``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from livelike import _cli_storage
from livelike import _validate as check
from livelike._version import __version__
from livelike.errors import LiveLikeError, NoSavedProfileError

CLIENT_ID_VARIABLE = "LIVELIKE_CLIENT_ID"
emit = _cli_storage.emit


class UsageError(Exception):
    """The command line itself was wrong: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, printed by :func:`main`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


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


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (see the README)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livelike", description="LiveLike user profiles.")
    parser.add_argument(
        "--version", action="version", version=f"livelike {__version__} (livelike-sdk)"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-v info, -vv debug)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="load the saved profile, or create and save one")
    _client_options(init)
    _json_option(init)

    profile = commands.add_parser("profile", help="show or update the saved profile")
    profile_commands = profile.add_subparsers(
        dest="profile_command", required=True, metavar="ACTION"
    )
    show = profile_commands.add_parser("show", help="show the saved profile (never creates one)")
    _client_options(show)
    _json_option(show)
    update = profile_commands.add_parser("update", help="change the saved profile")
    _client_options(update)
    update.add_argument("--nickname", help="new nickname, 1 to 20 characters")
    update.add_argument("--custom-data", help="new custom data (a string)")
    _json_option(update)

    token = commands.add_parser("token", help="manage saved tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    forget = token_commands.add_parser(
        "forget", help="move the saved token aside (kept on disk, no longer used)"
    )
    _client_options(forget)
    _json_option(forget)
    accept = token_commands.add_parser(
        "accept-lost",
        help="accept that an in-doubt create lost its profile; allow one new create (audited)",
    )
    _client_options(accept)
    _json_option(accept)
    adopt = token_commands.add_parser(
        "adopt", help="make a visitor's saved profile the signed-up user's (nothing billed)"
    )
    _client_options(adopt)
    adopt.add_argument("from_subject", metavar="FROM", help="the visitor's (session) subject")
    adopt.add_argument("to_subject", metavar="TO", help="the signed-up user's subject")
    _json_option(adopt)
    history = token_commands.add_parser(
        "history",
        help="profiles created and other audit log events, tokens replaced; never shows tokens",
    )
    _client_options(history)
    history.set_defaults(subject=None)
    _json_option(history)
    listing = token_commands.add_parser("list", help="saved keys, backend and age; never tokens")
    listing.add_argument("--storage", default=None, help="backends to list (default: the chain)")
    _json_option(listing)
    migrate = token_commands.add_parser(
        "migrate", help="copy tokens into another backend, verify, then remove the originals"
    )
    _client_options(migrate)
    migrate.add_argument("--to", required=True, help="the backend to move tokens into")
    migrate.add_argument("--all", action="store_true", help="every key, not one client/subject")
    _json_option(migrate)

    found = commands.add_parser("backends", help="storage backends found, in order, and why not")
    found.add_argument("--storage", default=None, help="the chain to show (default: as init)")
    _json_option(found)

    doctor = commands.add_parser(
        "doctor", help="versions, backends, folders, API and emulator: what to fix"
    )
    _client_options(doctor)
    _json_option(doctor)

    completion = commands.add_parser("completion", help="print a shell completion script")
    completion.add_argument("shell", choices=["bash", "zsh"], help="the shell")

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
        emit(_profile_json(profile))
        return
    verb = {
        "created": "created (counts towards Monthly Active Users)",
        "saved": "reused from saved token",
    }.get(profile.source, otherwise)
    print(f"profile {profile.id} {profile.nickname!r}: {verb}")


def _client(args: argparse.Namespace) -> Any:
    from livelike import LiveLike

    if not args.client_id:
        raise UsageError(f"pass --client-id or set {CLIENT_ID_VARIABLE}")
    return LiveLike(args.client_id, api_url=args.api_url, storage=args.storage)


def _saved_profile(client: Any, subject: str) -> Any:
    """``init(create=False)``, with a message that speaks of commands, not arguments."""
    try:
        return client.init(subject=subject, create=False)
    except NoSavedProfileError as exc:
        key = f"client id {client.client_id} subject {subject!r} at {client.api_origin}"
        if exc.rejected:
            text = f"the saved token for {key} was rejected; `livelike init` creates a new profile"
        else:
            text = f"no saved profile for {key}; `livelike init` creates one"
        raise NoSavedProfileError(text, rejected=exc.rejected) from None


def _print_event(e: dict[str, Any]) -> None:
    print(
        f"  {e.get('time')}  {e.get('event', 'created')}  {e.get('profile_id') or '-'}  "
        f"client {e.get('client_id')} "
        f"subject {e.get('subject')!r}  {e.get('reason')}"
    )


def _history(args: argparse.Namespace) -> None:
    from livelike import _audit

    events = [
        e
        for e in _audit.entries(every=True)
        if (not args.client_id or e.get("client_id") == args.client_id)
        and (args.subject is None or e.get("subject") == args.subject)
    ]
    created = [e for e in events if e.get("event", "created") in _audit.CREATE_EVENTS]
    others = [e for e in events if e.get("event", "created") not in _audit.CREATE_EVENTS]
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
        emit({"created": created, "events": events, "replaced": replaced})
        return
    if not created:
        print(f"no profiles created (audit log {_audit.audit_path()})")
    else:
        print(f"profiles created ({_audit.audit_path()}):")
    for e in created:
        _print_event(e)
    if others:
        print("other events (adoptions, deletions, in-doubt creates settled):")
    for e in others:
        _print_event(e)
    if args.client_id:
        if not replaced:
            print(f"no tokens replaced for subject {subject!r}")
        else:
            print(f"tokens replaced for subject {subject!r}:")
        for r in replaced:
            print(f"  {r['retired_at']}  profile {r['profile_id']}  {r['reason']}")


def _forget(args: argparse.Namespace) -> None:
    with _client(args) as client:
        moved = client.forget(args.subject)
    if args.json:
        emit({"subject": args.subject, "forgotten_in": moved})
        return
    if not moved:
        print(f"no saved token for subject {args.subject!r}")
    for name in moved:
        print(f"forgot the token saved for subject {args.subject!r} in {name} storage")


def _accept_lost(args: argparse.Namespace) -> None:
    with _client(args) as client:
        accepted = client.accept_lost_create(args.subject)
    if args.json:
        emit({"subject": args.subject, "accepted": accepted})
    elif accepted:
        print(f"accepted the lost create for subject {args.subject!r}: init may create one")
    else:
        print(f"no create in doubt for subject {args.subject!r}")


def _adopt(args: argparse.Namespace) -> None:
    with _client(args) as client:
        result = client.adopt(args.from_subject, args.to_subject)
    if args.json:
        emit(
            {
                "from": args.from_subject,
                "to": args.to_subject,
                "kept": result.kept,
                "profile_id": result.profile_id,
                "other_profile_id": result.other_profile_id,
            }
        )
    else:
        print(
            f"subject {args.to_subject!r} now holds profile {result.profile_id} "
            f"(the {result.kept}'s); subject {args.from_subject!r} holds none"
        )


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        with _client(args) as client:
            _print_profile(client.init(subject=args.subject), args.json)
    elif args.command == "profile":
        updating = args.profile_command == "update"
        if updating:
            if args.nickname is None and args.custom_data is None:
                raise UsageError("profile update needs --nickname or --custom-data")
            if args.nickname is not None:
                check.nickname(args.nickname)  # before any request
        with _client(args) as client:
            profile = _saved_profile(client, args.subject)
            if updating:
                profile = client.update_user_profile(
                    nickname=args.nickname, custom_data=args.custom_data
                )
            _print_profile(profile, args.json, "updated" if updating else "loaded")
    elif args.command == "backends":
        return _cli_storage.backends(args)
    elif args.command == "doctor":
        from livelike._cli_doctor import doctor

        return doctor(args)
    elif args.command == "completion":
        from livelike._cli_completion import script

        print(script(args.shell, _parser()))
    elif args.command == "token" and args.token_command == "list":
        _cli_storage.token_list(args)
    elif args.command == "token" and args.token_command == "migrate":
        return _cli_storage.token_migrate(args)
    elif args.command == "token" and args.token_command == "history":
        _history(args)
    elif args.command == "token" and args.token_command == "accept-lost":
        _accept_lost(args)
    elif args.command == "token" and args.token_command == "adopt":
        _adopt(args)
    elif args.command == "token":
        _forget(args)
    return 0


def _fail(kind: str, message: str, as_json: bool, status: int) -> int:
    if as_json:
        emit({"error": kind, "message": message})
    else:
        print(f"livelike: error: {message}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        from livelike.emulator._cli import main as emulator_main

        return emulator_main(argv[1:])
    as_json = "--json" in argv
    try:
        args = _parser().parse_args(argv)
        if args.verbose:
            from livelike._logging import enable

            enable("info" if args.verbose == 1 else "debug")
        return _run(args)
    except UsageError as exc:
        return _fail("usage", " ".join(str(exc).split()), as_json, 2)
    except LiveLikeError as exc:
        return _fail(type(exc).__name__, " ".join(str(exc).split()), as_json, 1)
    except KeyboardInterrupt:
        return 130
