"""``livelike completion bash|zsh``: shell completion scripts, written from the parser.

The script holds every command and option as plain words, so completing costs
the shell nothing: ``livelike`` is not run on each TAB, and building the script
imports nothing beyond ``argparse``. zsh uses the same function through
``bashcompinit``.
"""

from __future__ import annotations

import argparse

__all__ = ["script"]


def _tree(parser: argparse.ArgumentParser, path: str = "") -> dict[str, list[str]]:
    """Completion words for each command path (``""``, ``"token"``, ``"token list"``...)."""
    words: list[str] = []
    found: dict[str, list[str]] = {path: words}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                words.append(name)
                found.update(_tree(child, f"{path} {name}".strip()))
        elif action.option_strings:
            words.extend(s for s in action.option_strings if s.startswith("--"))
        elif action.choices:
            words.extend(str(c) for c in action.choices)
    return found


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell`` (``bash`` or ``zsh``)."""
    tree = _tree(parser)
    cases = "\n".join(
        f'        "{path}") words="{" ".join(words)}" ;;' for path, words in sorted(tree.items())
    )
    known = " ".join(f'"{path}"' for path in sorted(tree) if path)
    body = f"""_livelike() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" path="" next i words=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in -*) continue ;; esac
        next="${{path:+$path }}${{COMP_WORDS[i]}}"
        for known in {known}; do
            if [[ "$next" == "$known" ]]; then path="$next"; break; fi
        done
    done
    case "$path" in
{cases}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -F _livelike livelike
"""
    if shell == "zsh":
        return (
            "#compdef livelike\n"
            "# livelike completion for zsh (through bashcompinit):\n"
            '#   eval "$(livelike completion zsh)"\n'
            "autoload -U +X bashcompinit && bashcompinit\n" + body
        )
    return '# livelike completion for bash:  eval "$(livelike completion bash)"\n' + body
