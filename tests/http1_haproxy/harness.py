#!/usr/bin/env python3
"""Runs raw HTTP/1 requests (and backend responses) through a real haproxy 2.6 and reports what
haproxy did with each: `forward` when the backend got the request and its answer came back
unchanged in status, or the status haproxy answered itself (400, 414, 502...), or `408` when
haproxy waited for more bytes until `timeout http-request`.

Corpus lines (see corpus.txt): `req NAME ESCAPED` or `resp NAME ESCAPED`. ESCAPED uses \\r \\n \\t
\\0 \\xHH \\\\ and `{N*TEXT}` for TEXT repeated N times (TEXT without braces).
A `resp` case is a response the backend sends to a plain GET; haproxy's verdict is `forward`
when the client sees the backend's status, else haproxy's own status (502...).

usage: harness.py CORPUS [--only NAME]      prints `NAME VERDICT` per case
       harness.py CORPUS --probe PROBE --known FILE
           also runs lbc_http1_probe on each case and fails on any disagreement not listed in
           FILE (lines `NAME HAPROXY LBC  # why`), and on any listed one that no longer occurs.
"""
import os, re, socket, subprocess, sys, tempfile, threading, time

def unescape(s):
    s = re.sub(r'\{(\d+)\*([^{}]*)\}', lambda m: m.group(2) * int(m.group(1)), s)
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'r': out += b'\r'; i += 2; continue
            if n == 'n': out += b'\n'; i += 2; continue
            if n == 't': out += b'\t'; i += 2; continue
            if n == '0': out += b'\0'; i += 2; continue
            if n == 's': out += b' '; i += 2; continue
            if n == '\\': out += b'\\'; i += 2; continue
            if n == 'x': out.append(int(s[i + 2:i + 4], 16)); i += 4; continue
        out += c.encode('latin-1')
        i += 1
    return bytes(out)

def load(path):
    cases = []
    for line in open(path, encoding='latin-1'):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        kind, name, esc = line.split(' ', 2)
        cases.append((kind, name, unescape(esc)))
    return cases

def free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

class Backend(threading.Thread):
    """Answers each connection once: reads up to the end of the header section, then sends
    the canned response named by the request path (/resp/NAME) or a plain 200."""
    def __init__(self, responses):
        super().__init__(daemon=True)
        self.responses = responses
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        data = b''
        c.settimeout(5)
        try:
            while b'\r\n\r\n' not in data:
                d = c.recv(65536)
                if not d:
                    break
                data += d
            if os.environ.get('H1_DUMP'):
                with open(os.environ['H1_DUMP'], 'ab') as f:
                    f.write(data + b'=====\n')
            m = re.match(rb'[A-Z]+ /resp/(\S+) ', data)
            if m and m.group(1).decode() in self.responses:
                c.sendall(self.responses[m.group(1).decode()])
            else:
                c.sendall(b'HTTP/1.1 299 Forwarded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
            c.shutdown(socket.SHUT_WR)
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()

def wait_port(port, proc):
    for _ in range(500):
        if proc.poll() is not None:
            raise SystemExit('haproxy exited: ' + proc.stderr.read().decode())
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)  # polling for readiness, not synchronising on time
    raise SystemExit('haproxy did not listen')

def send(port, data, timeout=5.0):
    s = socket.create_connection(('127.0.0.1', port))
    s.settimeout(timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    resp = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            resp += d
            if b'\r\n\r\n' in resp:
                break
    except OSError:
        pass
    s.close()
    m = re.match(rb'HTTP/1\.[01] (\d{3})', resp)
    if not m:
        return 'closed'
    st = m.group(1).decode()
    return 'forward' if st == '299' else st

def main():
    corpus = sys.argv[1]
    only = sys.argv[sys.argv.index('--only') + 1] if '--only' in sys.argv else None
    probe = sys.argv[sys.argv.index('--probe') + 1] if '--probe' in sys.argv else None
    known = {}
    if '--known' in sys.argv:
        for line in open(sys.argv[sys.argv.index('--known') + 1]):
            line = line.split('#', 1)[0].split()
            if line:
                known[line[0]] = (line[1], line[2])
    failures = seen = 0
    cases = load(corpus)
    responses = {n: d for k, n, d in cases if k == 'resp'}
    be = Backend(responses); be.start()
    port = free_port()
    tmp = tempfile.mkdtemp(prefix='lbc_h1_')
    cfg = os.path.join(tmp, 'haproxy.cfg')
    with open(cfg, 'w') as f:
        f.write(f"""global
  maxconn 200
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 1s
frontend fe
  bind 127.0.0.1:{port}
  default_backend be
backend be
  server s1 127.0.0.1:{be.port}
""")
    proc = subprocess.Popen(['haproxy', '-db', '-f', cfg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
        for kind, name, data in cases:
            if only and name != only:
                continue
            if kind == 'req':
                v = send(port, data)
            else:
                v = send(port, b'GET /resp/' + name.encode() + b' HTTP/1.1\r\nHost: x\r\n\r\n')
                if v not in ('forward',):
                    pass
                st = re.match(rb'HTTP/\d\.\d (\d{3})', data)
                if v != 'forward' and st and v == st.group(1).decode():
                    v = 'forward'
            if not probe:
                print(name, v, flush=True)
                continue
            args = [probe] + (['--response'] if kind == 'resp' else [])
            mine = subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode().strip()
            got = (v, mine)
            if v == mine and name not in known:
                print(f'ok   {name} {v}')
            elif name in known and known[name] == got:
                print(f'ok   {name} haproxy={v} lbc={mine} (known difference)')
            else:
                failures += 1
                print(f'FAIL {name} haproxy={v} lbc={mine}' + (f' (listed as {known[name]})' if name in known else ''))
            seen += 1
    finally:
        proc.terminate(); proc.wait()
    if probe:
        print(f'{seen} cases, {failures} disagreement(s)')
        sys.exit(1 if failures or seen < 100 else 0)

if __name__ == '__main__':
    main()
