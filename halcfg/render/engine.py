"""jinja2, sandboxed and bounded: the one place halcfg imports it.

Templates run in jinja2's SandboxedEnvironment with StrictUndefined and see only plain data and
the filters below: they cannot call methods of halcfg's objects or run code. They are read only
as regular files inside the template folders (`files.folder`: no link, no `..`), and a render has
a budget: a time (`RenderOptions.time_limit`) and an output size (`output.MAX_OUTPUT`). A broken or
runaway template is a UsageError naming its file and line.

What the sandbox bounds by itself is `range()` (MAX_RANGE items, jinja2/sandbox.py `safe_range`);
two nested loops over it are 10^10 turns, and a loop's turns call nothing and may write nothing, so
the time limit is a SIGALRM timer (the CLI renders on the main thread; elsewhere a deadline is
checked between the pieces `Template.generate()` yields). The size is counted over those pieces,
and the `*` and `**` operators, which build a 200 MB string or a huge number in one step, are
intercepted before they run (`SandboxedEnvironment.intercepted_binops` / `call_binop`, jinja2 ≥ 2.6).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from halcfg.errors import UsageError
from halcfg.files import folder as folders
from halcfg.registry.hosts import registry_host
from halcfg.render.encode import b64encode, docker_auth, go_json, to_yaml
from halcfg.render.output import MAX_OUTPUT

FILTERS = {
    "b64encode": b64encode,
    "to_json": go_json,
    "to_yaml": to_yaml,
    "docker_auth": docker_auth,
    "registry_host": registry_host,
}
TEMPLATE_MAX = 1 * 2**20  # bytes of one template file: the built-in ones are a few KB
_MAX_NUMBER_BITS = 4096  # `**` results: far past any number a config file holds


class OverBudget(BaseException):
    """A template ran past the render's time or size. A BaseException, so that no `except
    Exception` inside jinja2 swallows the alarm."""


class Engine:
    def __init__(self, folders: list[Path], time_limit: float, max_output: int = MAX_OUTPUT) -> None:
        """`folders` hold `<target>/<template>` files; earlier folders override later ones."""
        self._folders = tuple(str(f) for f in folders)
        self._time_left = time_limit
        self._time_limit = time_limit
        self._size_left = max_output
        self._max_output = max_output
        self.env = _Sandbox(
            self._size_check,
            loader=_FolderLoader(folders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters.update(FILTERS)
        self._inline: dict[str, jinja2.Template] = {}

    def render(self, template: str, variables: dict[str, Any]) -> str:
        """Template `<target>/<name>` rendered with `variables`."""
        try:
            return self._bounded(lambda: self.env.get_template(template), variables)
        except UsageError:
            raise
        except OverBudget as error:
            where = _template_line(sys.exc_info()[2], self._folders) or template
            raise UsageError(f"{where}: {error}; nothing was written") from None
        except jinja2.TemplateNotFound as error:
            raise UsageError(f"template {error.name} not found (looked in {self._where()})") from None
        except jinja2.TemplateSyntaxError as error:
            raise UsageError(f"{error.filename or template}:{error.lineno}: {error.message}") from None
        except Exception as error:  # a template's runtime failure: undefined name, sandbox refusal, bad filter use
            where = _template_line(sys.exc_info()[2], self._folders) or template
            raise UsageError(f"{where}: {type(error).__name__}: {error}") from None

    def render_string(self, source: str, variables: dict[str, Any], origin: str) -> str:
        """An inline template (a manifest's file name), compiled once; errors name `origin`."""
        try:
            if source not in self._inline:
                self._inline[source] = self.env.from_string(source)
            return self._bounded(lambda: self._inline[source], variables)
        except OverBudget as error:
            raise UsageError(f"{origin}: {error}; nothing was written") from None
        except jinja2.TemplateError as error:
            raise UsageError(f"{origin}: {type(error).__name__}: {error}") from None

    def _bounded(self, template: Callable[[], jinja2.Template], variables: dict[str, Any]) -> str:
        """Load and render within what is left of the budget, streaming `generate()` to count."""
        started = time.monotonic()
        deadline = started + self._time_left
        pieces: list[str] = []
        try:
            with self._alarm():
                for piece in template().generate(variables):
                    self._size_left -= len(piece)
                    if self._size_left < 0:
                        raise OverBudget(f"the output passes {self._over_budget()}")
                    if time.monotonic() > deadline:
                        raise self._out_of_time()
                    pieces.append(piece)
        finally:
            self._time_left -= time.monotonic() - started
        return "".join(pieces)

    @contextlib.contextmanager
    def _alarm(self) -> Iterator[None]:
        if self._time_left <= 0:
            raise self._out_of_time()
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only: the deadline between pieces still holds
            return

        def ring(signum: int, frame: object) -> None:
            raise self._out_of_time()

        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, self._time_left)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _over_budget(self) -> str:
        return f"the render's output budget of {self._max_output // 2**20} MiB"

    def _out_of_time(self) -> OverBudget:
        return OverBudget(f"the templates ran past the render's time limit ({self._time_limit:g} s; --time-limit)")

    def _size_check(self, operator: str, left: Any, right: Any) -> None:
        """Refuse `*` and `**` whose result would pass what is left of the output budget."""
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(count, int) and \
                        len(sequence) * count > self._size_left:
                    raise OverBudget(f"a value of {len(sequence) * count:,} items would pass {self._over_budget()}")
        elif isinstance(left, int | float) and isinstance(right, int | float) and abs(left) > 1 and right > 0 \
                and right * math.log2(abs(left)) > _MAX_NUMBER_BITS:
            raise OverBudget(f"{left} ** {right} is a number of more than {_MAX_NUMBER_BITS} bits")

    def _where(self) -> str:
        return ", ".join(self._folders)


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, check: Callable[[str, Any, Any], None], **options: Any) -> None:
        super().__init__(**options)
        self._check = check

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self._check(operator, left, right)
        return super().call_binop(context, operator, left, right)


class _FolderLoader(jinja2.BaseLoader):
    """Templates as regular files inside the folders, found by `get_source` (jinja2's loader
    protocol, jinja2/loaders.py `BaseLoader`) without following a link at any step."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = template.split("/")
        if ".." in parts or "\\" in template or "\0" in template:
            raise UsageError(f"template {template}: names a file outside the template folder; "
                             "templates and includes are files inside it")
        parts = [part for part in parts if part not in ("", ".")]
        if not parts:
            raise jinja2.TemplateNotFound(template)
        for root in self.folders:
            source = _read_inside(root, parts)
            if source is not None:
                return source, str(root.joinpath(*parts)), lambda: True
        raise jinja2.TemplateNotFound(template)


def _read_inside(root: Path, parts: list[str]) -> str | None:
    """The template at root/parts..., None when absent; UsageError for a link or a non-file."""
    shown = str(root.joinpath(*parts))
    opened: list[int] = []
    try:
        fd = folders.open_folder(root, shown=f"template folder {root}")
        for depth, part in enumerate(parts[:-1], 1):
            if fd is None:
                return None
            opened.append(fd)
            fd = folders.open_folder(Path(part), parent=fd, shown=str(root.joinpath(*parts[:depth])))
        if fd is None:
            return None
        opened.append(fd)
        got = folders.read(fd, parts[-1], TEMPLATE_MAX, shown)
    except OSError as error:
        raise UsageError(f"{shown}: {error.strerror}") from None
    finally:
        for fd in opened:
            os.close(fd)
    if got is None:
        return None
    try:
        return got[0].decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{shown}: byte {error.start + 1} is not UTF-8") from None


def _template_line(trace: TracebackType | None, folders: tuple[str, ...]) -> str | None:
    """`file:line` of the innermost template frame. jinja2 rewrites the frames of the errors it
    handles to point at template lines; an OverBudget passes unhandled, and its frames are the
    compiled template's, mapped back with `Template.get_corresponding_lineno`."""
    where = None
    while trace is not None:
        frame = trace.tb_frame
        filename = frame.f_code.co_filename
        if filename.startswith(folders):
            compiled = frame.f_globals.get("__jinja_template__")
            line = compiled.get_corresponding_lineno(trace.tb_lineno) if compiled is not None else trace.tb_lineno
            where = f"{filename}:{line}"
        trace = trace.tb_next
    return where
