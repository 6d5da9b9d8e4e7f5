#!/usr/bin/env python3
"""Records what the real haproxy 2.6 sends, as golden data for lbc_http_tests.

usage: capture.py OUTDIR [--haproxy /usr/sbin/haproxy]

Starts haproxy on loopback in front of a recording backend, sends raw requests and stores:
  OUTDIR/err_NNN.http            the client-side bytes of `http-request deny deny_status NNN`
  OUTDIR/native_NAME.http        errors haproxy produces by itself (400, 408, 502, 503, 504)
  OUTDIR/reply_NAME.http         deny/return/redirect variants (headers up to and with the body)
  OUTDIR/conn_MODE_REQ_RESP.req  the request head the backend received
  OUTDIR/conn_MODE_REQ_RESP.res  the response head the client received
  OUTDIR/xff_NAME.req            the request head the backend received under option forwardfor
  OUTDIR/httplog.txt, tcplog.txt, short.txt, dontlognull.txt  log lines (`NAME<TAB>line`)
Nothing waits on a timer for synchronisation: ports are polled until they accept, log lines are
waited for by reading haproxy's output, responses are read by their framing (or to EOF).
"""
import os, re, select, socket, subprocess, sys, tempfile, threading, time

HAPROXY = '/usr/sbin/haproxy'
ERR_CODES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504]


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def read_head(sock, buf=b''):
    while b'\r\n\r\n' not in buf:
        d = sock.recv(65536)
        if not d:
            return buf, b''
        buf += d
    i = buf.index(b'\r\n\r\n') + 4
    return buf[:i], buf[i:]


def read_body(sock, head, rest, head_request=False):
    """Reads the body announced by `head` (content-length, chunked, or to EOF)."""
    h = head.decode('latin-1').lower()
    status = int(h.split(' ', 2)[1]) if h.startswith('http/') else 0
    if head_request or status in (204, 304) or 100 <= status < 200:
        return rest
    m = re.search(r'\r\ncontent-length: *(\d+)', h)
    if m:
        n = int(m.group(1))
        while len(rest) < n:
            d = sock.recv(65536)
            if not d:
                break
            rest += d
        return rest
    if re.search(r'\r\ntransfer-encoding:[^\r]*chunked', h):
        while not rest.endswith(b'0\r\n\r\n'):
            d = sock.recv(65536)
            if not d:
                break
            rest += d
        return rest
    while True:
        d = sock.recv(65536)
        if not d:
            return rest
        rest += d


# Backend responses by the path's last component (/x/NAME).
RESPONSES = {
    'r11': b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    'r11close': b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
    'r10': b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
    'r10ka': b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok',
    'r11chunked': b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    'r10eof': b'HTTP/1.0 200 OK\r\n\r\nok',
    'r11eof': b'HTTP/1.1 200 OK\r\n\r\nok',
    'bad': b'HTTP/1.1 abc\r\n\r\n',
}
CLOSING = {'r11close', 'r10', 'r10eof', 'r11eof', 'bad'}


class Backend(threading.Thread):
    """Records each request head it receives (keyed by the request path) and answers it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.seen = {}
        self.cv = threading.Condition()
        self.nconn = 0

    def run(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            self.serve_one(c)
        except OSError:
            pass  # haproxy closing an idle server connection

    def serve_one(self, c):
        with self.cv:
            self.nconn += 1
            cid = self.nconn
        buf = b''
        try:
            while True:
                head, buf = read_head(c, buf)
                if not head:
                    return
                line = head.split(b'\r\n', 1)[0].decode('latin-1')
                path = line.split(' ')[1]
                name = path.rsplit('/', 1)[-1]
                m = re.search(rb'\r\ncontent-length: *(\d+)', head.lower())
                n = int(m.group(1)) if m else 0
                while len(buf) < n:
                    buf += c.recv(65536)
                buf = buf[n:]
                if b'\r\ntransfer-encoding: chunked' in head.lower():
                    while b'0\r\n\r\n' not in buf:
                        buf += c.recv(65536)
                    buf = buf[buf.index(b'0\r\n\r\n') + 5:]
                with self.cv:
                    self.seen[path] = (head, cid)
                    self.cv.notify_all()
                if name == 'hang':
                    c.recv(1)
                    return
                c.sendall(RESPONSES.get(name, RESPONSES['r11']))
                if name in CLOSING:
                    return
        finally:
            c.close()

    def wait(self, path):
        with self.cv:
            self.cv.wait_for(lambda: path in self.seen, timeout=10)
            return self.seen.pop(path, (None, 0))


class Haproxy:
    def __init__(self, cfg_text, dirpath):
        self.cfg = os.path.join(dirpath, 'h.cfg')
        with open(self.cfg, 'w') as f:
            f.write(cfg_text)
        chk = subprocess.run([HAPROXY, '-c', '-f', self.cfg], capture_output=True, text=True)
        if chk.returncode != 0:
            sys.exit('haproxy rejected the capture config:\n' + chk.stdout + chk.stderr)
        self.p = subprocess.Popen([HAPROXY, '-db', '-f', self.cfg], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.lines = {'out': [], 'err': []}
        self.cv = threading.Condition()
        for name, stream in (('out', self.p.stdout), ('err', self.p.stderr)):
            threading.Thread(target=self.pump, args=(name, stream), daemon=True).start()

    def pump(self, name, stream):
        for raw in stream:
            with self.cv:
                self.lines[name].append(raw.decode('latin-1').rstrip('\n'))
                self.cv.notify_all()

    def wait_line(self, stream, pred, start):
        """The first line of `stream` from index `start` on matching `pred`."""
        with self.cv:
            ok = self.cv.wait_for(lambda: any(pred(l) for l in self.lines[stream][start:]), timeout=10)
            if not ok:
                sys.exit('no log line matching on ' + stream + ': ' + repr(self.lines[stream][start:]))
            return next(l for l in self.lines[stream][start:] if pred(l))

    def count(self, stream):
        with self.cv:
            return len(self.lines[stream])

    def stop(self):
        self.p.terminate()
        self.p.wait()


def wait_accept(port):
    for _ in range(500):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)  # polling for readiness, not synchronising on time
    sys.exit('port %d never accepted' % port)


def exchange(port, data, head_request=False, half_close=False):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall(data)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    head, rest = read_head(s)
    body = read_body(s, head, rest, head_request) if head else b''
    s.close()
    return head + body


def esc(b):
    return b.decode('latin-1').replace('\\', '\\\\').replace('\r', '\\r').replace('\n', '\\n').replace('\t', '\\t')


MODES = {'ka': '', 'hka': 'option http-keep-alive', 'sc': 'option http-server-close', 'close': 'option httpclose'}
REQS = {
    'q11': 'HTTP/1.1\r\nHost: a\r\n',
    'q11close': 'HTTP/1.1\r\nHost: a\r\nConnection: close\r\n',
    'q10': 'HTTP/1.0\r\n',
    'q10ka': 'HTTP/1.0\r\nConnection: keep-alive\r\n',
    'q11kaother': 'HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\n',
    'q11post': 'HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n',
    'q11chunked': 'HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n',
}
REQ_BODY = {'q11post': b'abc', 'q11chunked': b'3\r\nabc\r\n0\r\n\r\n'}
RESPS = ['r11', 'r11close', 'r10', 'r10ka', 'r11chunked', 'r10eof', 'r11eof']

XFF = {
    'plain': 'option forwardfor',
    'except': 'option forwardfor except 127.0.0.0/8',
    'exceptother': 'option forwardfor except 10.0.0.0/8',
    'header': 'option forwardfor header X-Client-IP',
    'ifnone': 'option forwardfor if-none',
    'headerifnone': 'option forwardfor header X-Client-IP if-none',
}
XFF_REQS = {
    'none': 'Host: a\r\n',
    'has': 'Host: a\r\nX-Forwarded-For: 10.1.1.1\r\n',
    'hasclient': 'Host: a\r\nX-Client-IP: 10.2.2.2\r\n',
}

BIG = 'x' * 10000
REASON_CODES = [200, 201, 202, 203, 204, 205, 206, 207, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402,
                403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
                425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511, 299, 399, 498, 499, 599]


def config(ports, backend_port, tmp):
    ef = os.path.join(tmp, '403.http')
    with open(ef, 'wb') as f:
        f.write(b'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-From: errorfile\r\n\r\nfile says no\n')
    out = ['global', '  tune.bufsize 16384', '  tune.maxrewrite 1024', '', 'defaults', '  mode http',
           '  timeout connect 2s', '  timeout client 10s', '  timeout server 10s', '  log stdout format raw local0',
           '  option httplog', '']
    out += ['backend be', '  server s1 127.0.0.1:%d' % backend_port, '']
    out += ['backend be_none', '']
    out += ['backend be_refused', '  retries 0', '  server s1 127.0.0.1:%d' % ports['refused'], '']
    out += ['backend be_slow', '  timeout server 300ms', '  server s1 127.0.0.1:%d' % backend_port, '']
    out += ['backend be_sc', '  option http-server-close', '  server s1 127.0.0.1:%d' % backend_port, '']
    out += ['frontend fe_err', '  bind 127.0.0.1:%d' % ports['err']]
    out += ['  http-request deny deny_status %d if { path /err/%d }' % (c, c) for c in ERR_CODES]
    out += ['  default_backend be', '']
    out += ['frontend fe_reply', '  bind 127.0.0.1:%d' % ports['reply'],
            '  http-request deny if { path /deny }',
            '  http-request deny deny_status 429 if { path /deny429 }',
            '  http-request deny status 403 content-type text/plain string "nope" hdr X-A b if { path /deny_string }',
            '  http-request return if { path /return_plain }',
            '  http-request return status 204 if { path /return_204 }',
            '  http-request return status 200 content-type text/plain string "hello" hdr X-A b hdr X-B "c d" if { path /return_string }',
            '  http-request return status 404 default-errorfiles if { path /return_default }',
            '  http-request return status 503 content-type "application/json" lf-string "{\\"p\\":\\"%[path]\\"}" if { path /return_lf }',
            '  http-request redirect location /new code 301 if { path /redir_301 }',
            '  http-request redirect location /new if { path /redir_302 }',
            '  http-request redirect location /new code 303 if { path /redir_303 }',
            '  http-request redirect location /new code 307 if { path /redir_307 }',
            '  http-request redirect location /new code 308 if { path /redir_308 }',
            '  http-request redirect prefix https://x.example if { path_beg /redir_prefix }',
            '  http-request redirect scheme https if { path /redir_scheme }',
            '  http-request redirect location /c set-cookie SESS=1 if { path /redir_cookie }',
            '  http-request redirect location /c clear-cookie SESS= if { path /redir_clear }',
            '  http-request set-var(txn.big) req.hdr(x-in) if { path /rw_res }',
            '  http-request set-header X-B1 %[req.hdr(x-in)] if { path /rw_req }',
            '  http-request set-header X-B2 %[req.hdr(x-in)] if { path /rw_req }',
            '  http-response set-header X-B1 %[var(txn.big)] if { var(txn.big) -m found }',
            '  http-response set-header X-B2 %[var(txn.big)] if { var(txn.big) -m found }',
            '  use_backend be_none if { path /none }',
            '  use_backend be_refused if { path /refused }',
            '  use_backend be_slow if { path /x/hang }',
            '  default_backend be', '']
    out += ['frontend fe_reason', '  bind 127.0.0.1:%d' % ports['reason']]
    out += ['  http-request return status %d if { path /%d }' % (c, c) for c in REASON_CODES]
    out += ['']
    out += ['frontend fe_errorfile', '  bind 127.0.0.1:%d' % ports['errorfile'], '  errorfile 403 ' + ef,
            '  http-request deny', '']
    out += ['frontend fe_slow', '  bind 127.0.0.1:%d' % ports['slow'], '  timeout http-request 300ms',
            '  default_backend be', '']
    for m, opt in MODES.items():
        out += ['frontend fe_%s' % m, '  bind 127.0.0.1:%d' % ports['c_' + m]] + (['  ' + opt] if opt else [])
        out += ['  default_backend be', '']
    out += ['frontend fe_besc', '  bind 127.0.0.1:%d' % ports['c_besc'], '  default_backend be_sc', '']
    out += ['frontend fe_beclose', '  bind 127.0.0.1:%d' % ports['c_beclose'], '  default_backend be_close', '']
    out += ['backend be_close', '  option httpclose', '  server s1 127.0.0.1:%d' % backend_port, '']
    for n, opt in XFF.items():
        out += ['frontend fe_xff_%s' % n, '  bind 127.0.0.1:%d' % ports['x_' + n], '  ' + opt,
                '  default_backend be', '']
    out += ['frontend fe_null', '  bind 127.0.0.1:%d' % ports['null'], '  default_backend be', '']
    out += ['frontend fe_nonull', '  bind 127.0.0.1:%d' % ports['nonull'], '  option dontlognull',
            '  default_backend be', '']
    out += ['frontend fe_short', '  bind 127.0.0.1:%d' % ports['short'], '  no log',
            '  log stderr format short local0', '  default_backend be', '']
    out += ['frontend fe_rfc', '  bind 127.0.0.1:%d' % ports['rfc'], '  no log', '  log stdout local0',
            '  default_backend be', '']
    out += ['frontend fe_tcp', '  mode tcp', '  option tcplog',
            '  bind 127.0.0.1:%d' % ports['tcp'], '  default_backend be_tcp', '']
    out += ['backend be_tcp', '  mode tcp', '  server s1 127.0.0.1:%d' % backend_port, '']
    return '\n'.join(out) + '\n'


def main():
    global HAPROXY
    args = sys.argv[1:]
    if '--haproxy' in args:
        i = args.index('--haproxy')
        HAPROXY = args[i + 1]
        del args[i:i + 2]
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    be = Backend()
    be.start()
    names = ['err', 'reply', 'errorfile', 'slow', 'refused', 'null', 'nonull', 'short', 'rfc', 'tcp', 'c_besc', 'c_beclose', 'reason']
    names += ['c_' + m for m in MODES] + ['x_' + n for n in XFF]
    ports = {n: free_port() for n in names}
    tmp = tempfile.mkdtemp(prefix='lbc_http_capture_')
    hap = Haproxy(config(ports, be.port, tmp), tmp)
    try:
        for n, p in ports.items():
            if n != 'refused':
                wait_accept(p)
        # Drop the log lines of the readiness probes.
        hap.wait_line('out', lambda l: 'fe_tcp' in l, 0)
        capture(outdir, ports, be, hap)
    finally:
        hap.stop()
    print('captured into', outdir, 'from', subprocess.run([HAPROXY, '-v'], capture_output=True,
                                                          text=True).stdout.splitlines()[0])


def write(outdir, name, data):
    with open(os.path.join(outdir, name), 'wb') as f:
        f.write(data)


def logged(hap, stream, start, token, lines, tag):
    l = hap.wait_line(stream, lambda l: token in l, start)
    lines.append('%s\t%s' % (tag, l))


def capture(outdir, ports, be, hap):
    httplog = []
    # Default error pages through deny_status.
    for c in ERR_CODES:
        start = hap.count('out')
        write(outdir, 'err_%d.http' % c, exchange(ports['err'], b'GET /err/%d HTTP/1.1\r\nHost: a\r\n\r\n' % c))
        logged(hap, 'out', start, '/err/%d ' % c, httplog, 'err_%d' % c)
    # deny / return / redirect variants; a pipelined second request shows whether the
    # connection stays open after the reply.
    replies = ['deny', 'deny429', 'deny_string', 'return_plain', 'return_204', 'return_string', 'return_default',
               'return_lf', 'redir_301', 'redir_302', 'redir_303', 'redir_307', 'redir_308', 'redir_prefix/a/b?q=1',
               'redir_scheme', 'redir_cookie', 'redir_clear']
    for r in replies:
        start = hap.count('out')
        s = socket.create_connection(('127.0.0.1', ports['reply']), timeout=10)
        s.sendall(b'GET /%s HTTP/1.1\r\nHost: h.example\r\n\r\n' % r.encode())
        head, rest = read_head(s)
        data = head + read_body(s, head, rest)
        kept = follow_up(s, '/x/r11')
        name = r.split('/')[0]
        write(outdir, 'reply_%s.http' % name, data)
        httplog.append('%s\tkept=%d' % ('keepalive_reply_' + name, kept))
        logged(hap, 'out', start, '/%s ' % r, httplog, 'reply_' + name)
    # HAProxy's reason phrases (`return status N` uses its table).
    with open(os.path.join(outdir, 'reasons.txt'), 'w') as f:
        for c in REASON_CODES:
            head = exchange(ports['reason'], b'GET /%d HTTP/1.1\r\nHost: a\r\n\r\n' % c)
            f.write(head.split(b'\r\n', 1)[0].decode('latin-1')[len('HTTP/1.1 '):] + '\n')
    # errorfile
    write(outdir, 'reply_errorfile.http', exchange(ports['errorfile'], b'GET / HTTP/1.1\r\nHost: a\r\n\r\n'))
    # Errors haproxy produces by itself.
    native = [
        ('400', ports['reply'], b'GET / HTTP/1.1\r\nBad Header\r\n\r\n', '<BADREQ>'),
        ('502', ports['reply'], b'GET /x/bad HTTP/1.1\r\nHost: a\r\n\r\n', '/x/bad '),
        ('503_noserver', ports['reply'], b'GET /none HTTP/1.1\r\nHost: a\r\n\r\n', '/none '),
        ('503_refused', ports['reply'], b'GET /refused HTTP/1.1\r\nHost: a\r\n\r\n', '/refused '),
        ('504', ports['reply'], b'GET /x/hang HTTP/1.1\r\nHost: a\r\n\r\n', '/x/hang '),
        ('500_rw_req', ports['reply'], b'GET /rw_req HTTP/1.1\r\nHost: a\r\nX-In: %s\r\n\r\n' % BIG.encode(),
         '/rw_req '),
        ('502_rw_res', ports['reply'], b'GET /rw_res HTTP/1.1\r\nHost: a\r\nX-In: %s\r\n\r\n' % BIG.encode(),
         '/rw_res '),
        ('422', ports['reply'], b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', '<BADREQ>'),
        ('408', ports['slow'], b'GET / HTTP/1.1\r\n', 'fe_slow'),
    ]
    for name, port, req, token in native:
        start = hap.count('out')
        write(outdir, 'native_%s.http' % name, exchange(port, req))
        logged(hap, 'out', start, token, httplog, 'native_' + name)
    # Connection modes.
    conn = []
    for m in list(MODES) + ['besc', 'beclose']:
        for q, qtext in REQS.items():
            for r in RESPS:
                path = '/c/%s/%s/%s' % (m, q, r)
                start = hap.count('out')
                s = socket.create_connection(('127.0.0.1', ports['c_' + m]), timeout=10)
                s.sendall(('GET %s %s\r\n' % (path, qtext)).encode() + REQ_BODY.get(q, b''))
                reqhead, cid = be.wait(path)
                head, rest = read_head(s)
                read_body(s, head, rest)
                kept = follow_up(s, '/k' + path)
                conn.append('%s %s %s kept=%d\t%s\t%s' % (m, q, r, kept, esc(reqhead), esc(head)))
                hap.wait_line('out', lambda l: path + ' ' in l, start)
    with open(os.path.join(outdir, 'conn.txt'), 'w') as f:
        f.write('# MODE REQ RESP kept=<client connection kept>\\t'
                'request head the server got\\tresponse head the client got\n')
        f.write('\n'.join(conn) + '\n')
    # forwardfor
    xff = []
    for n in XFF:
        for q, qtext in XFF_REQS.items():
            path = '/xff/%s/%s' % (n, q)
            s = socket.create_connection(('127.0.0.1', ports['x_' + n]), timeout=10)
            s.sendall(('GET %s HTTP/1.1\r\n%s\r\n' % (path, qtext)).encode())
            reqhead, _ = be.wait(path)
            head, rest = read_head(s)
            read_body(s, head, rest)
            s.close()
            xff.append('%s %s\t%s' % (n, q, esc(reqhead)))
    with open(os.path.join(outdir, 'xff.txt'), 'w') as f:
        f.write('# OPTION REQ\\trequest head the server got\n' + '\n'.join(xff) + '\n')
    # Logs: an empty connection with and without dontlognull, a short-format line, a tcplog line.
    start = hap.count('out')
    socket.create_connection(('127.0.0.1', ports['null']), timeout=10).close()
    logged(hap, 'out', start, 'fe_null', httplog, 'null')
    start = hap.count('out')
    socket.create_connection(('127.0.0.1', ports['nonull']), timeout=10).close()
    # dontlognull: no line for fe_nonull; a request on fe_null afterwards is the next line.
    exchange(ports['null'], b'GET /after_null HTTP/1.1\r\nHost: a\r\n\r\n')
    l = hap.wait_line('out', lambda l: '/after_null ' in l, start)
    if any('fe_nonull' in x for x in hap.lines['out'][start:]):
        sys.exit('dontlognull logged an empty connection')
    httplog.append('dontlognull\tno line')
    start = hap.count('err')
    exchange(ports['short'], b'GET /short HTTP/1.1\r\nHost: a\r\n\r\n')
    short = hap.wait_line('err', lambda l: '/short ' in l, start)
    start = hap.count('out')
    exchange(ports['rfc'], b'GET /rfc HTTP/1.1\r\nHost: a\r\n\r\n')
    rfc = hap.wait_line('out', lambda l: '/rfc ' in l, start)
    start = hap.count('out')
    s = socket.create_connection(('127.0.0.1', ports['tcp']), timeout=10)
    s.sendall(b'GET /tcp HTTP/1.1\r\nHost: a\r\n\r\n')
    head, rest = read_head(s)
    read_body(s, head, rest)
    s.close()
    tcp = hap.wait_line('out', lambda l: 'fe_tcp' in l, start)
    with open(os.path.join(outdir, 'httplog.txt'), 'w') as f:
        f.write('\n'.join(httplog) + '\n')
    with open(os.path.join(outdir, 'logs_other.txt'), 'w') as f:
        f.write('short\t%s\nrfc3164\t%s\ntcplog\t%s\n' % (short, rfc, tcp))


def follow_up(s, path):
    """Sends a second request on `s`; 1 when it is answered (the connection was kept)."""
    try:
        s.sendall(b'GET %s HTTP/1.1\r\nHost: a\r\n\r\n' % path.encode())
        head, rest = read_head(s)
        if head:
            read_body(s, head, rest)
    except OSError:
        head = b''
    s.close()
    return int(bool(head))


if __name__ == '__main__':
    main()
