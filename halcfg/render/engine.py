"""jinja2, sandboxed: the one place halcfg imports it.

Templates run in jinja2's SandboxedEnvironment with StrictUndefined and see only plain data and
the filters below: they cannot read files (the loader serves template folders only), call
methods of halcfg's objects, or run code. A broken template is a UsageError naming its file and line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from halcfg.errors import UsageError
from halcfg.registry.hosts import registry_host
from halcfg.render.encode import b64encode, docker_auth, go_json, to_yaml

FILTERS = {
    "b64encode": b64encode,
    "to_json": go_json,
    "to_yaml": to_yaml,
    "docker_auth": docker_auth,
    "registry_host": registry_host,
}


class Engine:
    def __init__(self, folders: list[Path]) -> None:
        """`folders` hold `<target>/<template>` files; earlier folders override later ones."""
        self._folders = tuple(str(f) for f in folders)
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(list(self._folders)),
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
            return self.env.get_template(template).render(variables)
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
            return self._inline[source].render(variables)
        except jinja2.TemplateError as error:
            raise UsageError(f"{origin}: {type(error).__name__}: {error}") from None

    def _where(self) -> str:
        return ", ".join(self._folders)


def _template_line(trace: TracebackType | None, folders: tuple[str, ...]) -> str | None:
    """`file:line` of the innermost template frame (jinja2 rewrites frames to point at templates)."""
    where = None
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.startswith(folders):
            where = f"{filename}:{trace.tb_lineno}"
        trace = trace.tb_next
    return where
