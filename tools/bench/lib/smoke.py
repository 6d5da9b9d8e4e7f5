#!/usr/bin/env python3
"""ctest bench_tools_smoke: lbc_testsrv (echo) and lbc_loadgen (conn) work together, no proxy.

Checks that the load generator completes connections without any error and that the server accepted
exactly as many. It measures nothing: no speed is asserted.
usage: smoke.py LBC_TESTSRV LBC_LOADGEN"""

import json
import signal
import subprocess
import sys


def main():
    testsrv, loadgen = sys.argv[1:3]
    srv = subprocess.Popen([testsrv, "--port", "0", "--threads", "1", "echo"], stdout=subprocess.PIPE, text=True)
    try:
        ready = srv.stdout.readline()  # the readiness signal: "ready PORT"
        if not ready.startswith("ready "):
            print(f"FAIL: lbc_testsrv did not print 'ready PORT' (got {ready!r})")
            return 1
        port = int(ready.split()[1])
        lg = subprocess.run([loadgen, "conn", "--target", f"127.0.0.1:{port}", "--duration", "0.5",
                             "--concurrency", "4", "--timeout", "10"],
                            capture_output=True, text=True, timeout=40)
        print(lg.stdout.strip())
        if lg.stderr:
            print(lg.stderr.strip())
        r = json.loads(lg.stdout.splitlines()[-1])
        srv.send_signal(signal.SIGTERM)
        stats = json.loads(srv.communicate(timeout=10)[0].strip().splitlines()[-1])
        print(json.dumps(stats))
        problems = []
        if lg.returncode != 0:
            problems.append(f"lbc_loadgen exited {lg.returncode}")
        if r["connections"] <= 0:
            problems.append("no connection completed")
        if r["errors"] != 0:
            problems.append(f"errors: {r['error_kinds']}")
        if stats["accepted"] != r["connections"]:
            problems.append(f"server accepted {stats['accepted']}, loadgen completed {r['connections']}")
        if stats["bytes_in"] != r["connections"] * r["message_size"] or stats["bytes_out"] != stats["bytes_in"]:
            problems.append(f"server bytes in/out {stats['bytes_in']}/{stats['bytes_out']}")
        for p in problems:
            print(f"FAIL: {p}")
        return 1 if problems else 0
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()


if __name__ == "__main__":
    sys.exit(main())
