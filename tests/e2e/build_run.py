#!/usr/bin/env python3
# usage: build_run.py LBC [run flags...] CONFIG
# Builds CONFIG with `LBC build CONFIG -o BIN` (BIN next to the configuration) and then replaces
# itself with BIN and the run flags: the e2e harness drives an ahead-of-time executable exactly
# as it drives `lbc run` (same process id, so its signals reach the proxy; same stderr).
import os
import subprocess
import sys

lbc, args = sys.argv[1], sys.argv[2:]
if not args:
    sys.exit("usage: build_run.py LBC [run flags...] CONFIG")
cfg, flags = args[-1], args[:-1]
out = os.path.join(os.path.dirname(os.path.abspath(cfg)), "proxy.bin")
# close_fds=False: `fd@N` listeners are checked at build time too (the descriptors passed to us).
r = subprocess.run([lbc, "build", cfg, "-o", out], close_fds=False)
if r.returncode:
    sys.exit(r.returncode)
os.execv(out, [out] + flags)
