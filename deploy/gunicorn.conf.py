"""gunicorn's settings for the web service (deploy/systemd/hoa-nhap-web.service, D51).

Started as ``gunicorn --config deploy/gunicorn.conf.py``; a flag on the command line wins
over this file (the production-server test binds another port). Tuned from the environment:
``WEB_CONCURRENCY`` (workers, default 2 x cores + 1), ``HOA_NHAP_BIND`` (127.0.0.1:8000:
only nginx talks to it), ``HOA_NHAP_TRUSTED_PROXIES`` (the same list Django trusts).
"""

import os
from typing import Any

from prometheus_client import multiprocess

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("HOA_NHAP_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "0")) or 2 * (os.cpu_count() or 1) + 1
# Sync workers: every request is short and the database is the bottleneck; a slow client
# is nginx's to buffer, never a worker's.
worker_class = "sync"
# Load the application once, in the master: a missing setting or key stops the service at
# start with one message (config/wsgi.py) instead of every worker failing to boot.
preload_app = True
# A figures report or an import page may take a while; nginx waits as long (proxy_read_timeout).
timeout = 120
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# gunicorn's access log writes the path with its ids and query string; the application
# writes its own access line without them (core.logs, D47). Errors go to the journal.
accesslog = None
errorlog = "-"
# No runtime control socket (gunicornc): nothing to manage by hand, one file less to guard.
control_socket_disable = True
# The scheme nginx forwarded counts only from nginx (Django does the same, core.middleware).
forwarded_allow_ips = os.environ.get("HOA_NHAP_TRUSTED_PROXIES", "127.0.0.1")


def child_exit(server: Any, worker: Any) -> None:
    """Tell prometheus_client a worker died, so its gauges leave the scrape (D47)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
