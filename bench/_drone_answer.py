"""halcfg's own work per Drone extension request, with no HTTP server: CPU microseconds per
`DroneExtension.answer` over signed requests read from a file, for bench/drone.

`python -P bench/_drone_answer.py REQUESTS.json CONFIG SECRET_FILE` with PYTHONPATH naming the
checkout to measure (so a --base checkout's halcfg answers the same requests as this one's).
Prints one number: CPU microseconds per answer, after a warm-up of WARM_UP requests.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

WARM_UP = 200


def main(requests_file: str, config: str, secret_file: str) -> None:
    try:
        from halcfg.serve.drone.log import JsonLog
        from halcfg.serve.drone.server import Options, build_app
    except ImportError:  # a base from before serve/drone/ became a package (4c4a422 and older)
        from halcfg.serve.drone_log import JsonLog  # type: ignore[no-redef]
        from halcfg.serve.drone_server import Options, build_app  # type: ignore[no-redef]

    secret = Path(secret_file).read_text().strip().encode()
    app, _ = build_app(Options(Path(config), "127.0.0.1", 0, secret), JsonLog())
    answer = app.extension.answer
    requests = [({k.lower(): v for k, v in headers.items()}, base64.b64decode(body))
                for headers, body in json.loads(Path(requests_file).read_text())]
    statuses = set()
    for headers, body in requests[:WARM_UP]:
        answer("POST", "/", "/", headers.get, body)
    started = time.process_time()
    for headers, body in requests[WARM_UP:]:
        statuses.add(answer("POST", "/", "/", headers.get, body).status)
    seconds = time.process_time() - started
    if statuses - {200, 204}:
        raise SystemExit(f"answers other than 200 and 204: {sorted(statuses)}")
    print(f"{seconds / (len(requests) - WARM_UP) * 1e6:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
