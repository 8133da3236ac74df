"""The completion protocol between bash, zsh or fish and halcfg: the script `halcfg completion
SHELL` prints, how a request reads, and how an answer is written. Imports nothing: halcfg runs
once per TAB, and what it answers from the command table must not wait for typer (cli/completion.py).

Each script calls `halcfg` with VAR=complete_SHELL and the words before the cursor; halcfg
prints one candidate a line, `value<TAB>description` for zsh and fish (bash shows no
descriptions), and nothing where the word is a file name, for the shell's own file completion.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping

VAR = "_HALCFG_COMPLETE"
LINE = "_HALCFG_LINE"  # zsh's and fish's words before the cursor; bash sends COMP_WORDS and COMP_CWORD
SHELLS = ("bash", "zsh", "fish")

_BASH = r"""
_halcfg_completion() {
    local IFS=$'\n'  # joins COMP_WORDS one a line
    mapfile -t COMPREPLY < <(COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" _HALCFG_COMPLETE=complete_bash \
        halcfg 2>/dev/null)
}
# -o default: no candidate is a file name, which readline completes
complete -o default -F _halcfg_completion halcfg
"""

# _describe (Completion/Base/Utility/_describe) takes "value:description", a colon in the value
# escaped. A file in $fpath named _halcfg is autoloaded by compinit: its text runs as the body of
# the function _halcfg (zsh_eval_context ends in loadautofunc, zshparam(1)), which redefines
# _halcfg and completes at once, and later TABs call the new _halcfg. Sourced or eval'd it
# registers with compdef, or, before compinit has defined compdef, at the first prompt after
# compinit: sourcing it never fails.
_ZSH = r"""
#compdef halcfg

_halcfg() {
    local -a found described
    local line value
    found=("${(@f)$(_HALCFG_LINE="${words[1,CURRENT]}" _HALCFG_COMPLETE=complete_zsh halcfg 2>/dev/null)}")
    if [[ -z ${found[1]} ]]; then
        _files
        return
    fi
    for line in $found; do
        value=${line%%$'\t'*}
        if [[ $line == *$'\t'* ]]; then
            described+=("${value//:/\\:}:${line#*$'\t'}")
        else
            described+=("${value//:/\\:}")
        fi
    done
    _describe -t halcfg halcfg described
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _halcfg "$@"
elif (( $+functions[compdef] )); then
    compdef _halcfg halcfg
else
    _halcfg_register() {
        (( $+functions[compdef] )) || return 0
        compdef _halcfg halcfg
        add-zsh-hook -d precmd _halcfg_register
    }
    autoload -Uz add-zsh-hook
    add-zsh-hook precmd _halcfg_register
fi
"""

# One halcfg run per TAB: fish tests an entry's condition, then expands its arguments
# (src/complete.rs, complete_param_for_command), so the condition asks halcfg and keeps the
# answer. No answer fails the condition, and fish completes file names itself.
_FISH = r"""
function __halcfg_ask
    set -g __halcfg_found (env _HALCFG_LINE=(commandline -cp) _HALCFG_COMPLETE=complete_fish halcfg 2>/dev/null)
    set -q __halcfg_found[1]
end
complete --command halcfg --no-files --condition __halcfg_ask --arguments '(printf "%s\n" $__halcfg_found)'
"""

SCRIPTS = {"bash": _BASH.strip() + "\n", "zsh": _ZSH.strip() + "\n", "fish": _FISH.strip() + "\n"}


def asked(environ: Mapping[str, str] = os.environ) -> str | None:
    """The shell asking for completions, or None when halcfg runs as a command."""
    instruction = environ.get(VAR)
    if instruction is None:
        return None
    return instruction.removeprefix("complete_")


def request(shell: str, environ: Mapping[str, str] = os.environ) -> tuple[list[str], str]:
    """(the words after `halcfg` before the one being completed, that word as typed so far)."""
    if shell == "bash":
        # bash splits `--target=kub` at COMP_WORDBREAKS' `=` into `--target`, `=`, `kub` (the word
        # completed, which the answer replaces); at `--target=` the word completed is the `=`.
        words = _split(environ.get("COMP_WORDS", ""))
        current = int(environ.get("COMP_CWORD") or len(words))
        before = []
        for i, word in enumerate(words[1:current], 1):
            if not (word == "=" and words[i - 1].startswith("-")):
                before.append(word)
        incomplete = words[current] if current < len(words) else ""
        if incomplete == "=" and words[current - 1].startswith("-"):
            incomplete = ""
        return before, incomplete
    line = environ.get(LINE, "")
    words = _split(line)[1:]
    if words and not line[-1:].isspace():
        return words[:-1], words[-1]
    return words, ""


def answer(shell: str, candidates: Iterable[tuple[str, str]]) -> str:
    """One candidate a line; zsh and fish get its description after a tab, on one line."""
    lines = []
    for value, description in candidates:
        value = " ".join(value.split())
        description = " ".join(description.split())
        lines.append(f"{value}\t{description}" if description and shell != "bash" else value)
    return "\n".join(lines)


def _split(line: str) -> list[str]:
    """The words of a command line as the shell will pass them, an unclosed quote tolerated."""
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    words: list[str] = []
    try:
        words.extend(lexer)
    except ValueError:  # an open quote: the word being typed
        words.append(lexer.token)
    return words
