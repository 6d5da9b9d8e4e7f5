#!/bin/bash
# Regenerates tests/unit/http/data/ from the real haproxy 2.6 (see capture.py for what is stored).
# usage: tests/unit/http/capture.sh [HAPROXY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/capture.py" "$here/data" --haproxy "${1:-/usr/sbin/haproxy}"
