#!/usr/bin/env python3
# Runs the test files of a suite in one process, in order, with the command line each file takes:
# one ctest entry per suite and engine (e2e_http, e2e_http_interp, e2e_http_aot; e2e_tcp...).
# usage: suite.py SUITE [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import main  # noqa: E402

SUITES = {
    "http": ["http_rules_test", "http_keepalive_test", "http_body_test", "http_errors_test", "http_log_test",
             "http_tunnel_test", "http_checks_test", "http_cookie_test", "http_abortonclose_test",
             "http_balance_test", "http_after_response_test"],
    "tcp": ["tcp_balance_test", "tcp_queue_test", "tcp_timeout_test", "tcp_data_test", "tcp_listener_test",
            "tcp_process_test", "tcp_rules_test", "tcp_fetches_test", "tcp_samples_test", "tcp_soak_test"],
}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in SUITES:
        sys.exit("usage: suite.py {%s} [test file options]" % ",".join(SUITES))
    modules = [importlib.import_module(name) for name in SUITES[sys.argv[1]]]
    extras = {m.add_args for m in modules if hasattr(m, "add_args")}  # options of the suite's files (--soak)

    def add_args(ap):
        for add in extras:
            add(ap)
    sys.exit(main([t for m in modules for t in m.TESTS], add_args, argv=sys.argv[2:]))
