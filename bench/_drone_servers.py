"""Run halcfg's Drone extension on one of several HTTP servers, for bench/drone's comparison.

`python bench/_drone_servers.py SERVER PORT CONFIG SECRET_FILE` serves until SIGTERM. uvicorn
runs halcfg's own ASGI app (what `halcfg serve drone` ships; `uvicorn-no-metrics` the same
with /metrics off, to price it); the WSGI servers run the same
DroneExtension through the small WSGI adapter below, so only the server differs.
"""

from __future__ import annotations

import sys
import threading
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from halcfg.serve.drone.answer import MAX_BODY, too_large
from halcfg.serve.drone.log import JsonLog
from halcfg.serve.drone.server import Options, build_app, read_secret, serve

THREADS = 8
SERVERS = ("uvicorn", "uvicorn-no-metrics", "waitress", "cheroot", "gunicorn-1x16", "gunicorn-2x16")


def wsgi_app(options: Options) -> Any:
    log = JsonLog()
    app, accounts = build_app(options, log)
    accounts.start()
    extension = app.extension

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        started = time.perf_counter()
        length = environ.get("CONTENT_LENGTH") or "0"
        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING")
        if not length.isdigit() or int(length) > MAX_BODY:
            answer = too_large()
        else:
            body = environ["wsgi.input"].read(int(length))

            def header(name: str) -> str | None:
                key = name.upper().replace("-", "_")
                return environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key)

            answer = extension.answer(environ["REQUEST_METHOD"], path, path + (f"?{query}" if query else ""),
                                      header, body)
        headers = [*answer.headers, ("Content-Length", str(len(answer.body)))] if answer.status != 204 else []
        start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", headers)
        log.access(remote=environ.get("REMOTE_ADDR"), method=environ["REQUEST_METHOD"], path=path,
            status=answer.status, ms=round((time.perf_counter() - started) * 1000, 2), bytes=len(answer.body),
            **answer.log)
        return [answer.body]

    return application


def main(server: str, port: int, config: str, secret_file: str) -> None:
    options = Options(Path(config), "127.0.0.1", port, read_secret(Path(secret_file))[0], threads=THREADS,
                      metrics=server == "uvicorn")
    if server.startswith("uvicorn"):
        serve(options)
    elif server == "waitress":
        import waitress

        waitress.serve(wsgi_app(options), host="127.0.0.1", port=port, threads=THREADS, _quiet=True)
    elif server == "cheroot":
        import signal

        from cheroot import wsgi

        httpd = wsgi.Server(("127.0.0.1", port), wsgi_app(options), numthreads=THREADS)
        # stop() joins the worker threads: not from inside the signal handler of the serving thread
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.stop).start())
        httpd.safe_start()
    elif server.startswith("gunicorn"):
        from gunicorn.app.base import BaseApplication

        workers, threads = (int(n) for n in server.split("-")[1].split("x"))

        class App(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in {"bind": f"127.0.0.1:{port}", "workers": workers, "threads": threads,
                                   "worker_class": "gthread", "loglevel": "warning", "accesslog": None}.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return wsgi_app(options)

        App().run()
    else:
        raise SystemExit(f"unknown server {server}; one of {', '.join(SERVERS)}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
