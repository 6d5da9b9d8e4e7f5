"""Processes of a benchmark run: the test backend, the proxies, the load generator, and what /proc says
about them. Readiness is always a signal (a "ready PORT" line, a port that accepts), never a sleep."""

import os
import resource
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class BenchError(Exception):
    pass


def raise_fd_limit(want=1 << 18):
    """Lifts RLIMIT_NOFILE for this process and its children (10,000 idle connections through a proxy
    need 20,000+ descriptors in the proxy alone). Raising the hard limit needs root; otherwise the soft
    limit goes up to the hard one. Returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        with open("/proc/sys/fs/nr_open") as f:
            want = min(want, int(f.read()))
    except OSError:
        pass
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            want = hard
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def free_port():
    """A port that was free a moment ago (the proxy binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid):
    """pid and its live descendants: a proxy that forks workers (haproxy -W, a future lbc) is counted
    whole. Threads, io_uring workers included, are already part of their process's figures."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass  # exited meanwhile
    return pids


def _cpu_one(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0  # a descendant that exited meanwhile
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _rss_one(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0  # exited, or a zombie (no VmRSS line)


def cpu_seconds(pid):
    """utime + stime of the proxy (all threads and descendant processes), in seconds."""
    return sum(_cpu_one(p) for p in process_tree(pid))


def rss_kib(pid):
    """VmRSS of the proxy and its descendant processes, in KiB."""
    return sum(_rss_one(p) for p in process_tree(pid))


# `--fifo`: every process of a run (proxy, backend, load generator) under SCHED_FIFO priority 1, so
# that on a machine busy with other work (compilers of other sessions) a wake-up runs at once instead
# of waiting for the running task's time slice (milliseconds under EEVDF). A nice value does not do
# that. Root only; the kernel's RT throttling still leaves other tasks 5% of each CPU.
FIFO = False


def _affinity(cpus):
    """preexec_fn of a benchmark process: pinned to `cpus` (if any), SCHED_FIFO under FIFO."""
    if not cpus and not FIFO:
        return None

    def setup():
        if cpus:
            os.sched_setaffinity(0, cpus)
        if FIFO:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    return setup


class Backend:
    """lbc_testsrv in one mode, started once per scenario and shared by every proxy run."""

    def __init__(self, binary, mode_args, hosts, threads, cpus, logdir):
        self.log = open(os.path.join(logdir, "backend.err"), "w")
        cmd = [binary, "--port", "0", "--threads", str(threads)]
        for h in hosts:
            cmd += ["--host", h]
        cmd += mode_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     preexec_fn=_affinity(cpus))
        line = self.proc.stdout.readline()  # blocks until "ready PORT" or EOF
        if not line.startswith("ready "):
            self.stop()
            raise BenchError(f"lbc_testsrv did not start: {' '.join(cmd)} (see {self.log.name})")
        self.port = int(line.split()[1])
        self.cmd = cmd

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class ProxyUnavailable(Exception):
    def __init__(self, name, code, stderr_head):
        super().__init__(f"{name}: not available ({name} run exited {code})")
        self.code = code
        self.stderr_head = stderr_head


class Proxy:
    """One proxy process for one run: started fresh, so idle RSS has a clean baseline."""

    def __init__(self, name, cmd, port, cpus, logpath):
        self.name = name
        self.port = port
        self.logpath = logpath
        self.log = open(logpath, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_affinity(cpus))
        self.pid = self.proc.pid

    def wait_ready(self, timeout=20.0):
        """Connects to the frontend until it accepts; a proxy that exits first is unavailable."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            code = self.proc.poll()
            if code is not None:
                self.log.close()
                raise ProxyUnavailable(self.name, code, self.log_head())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"{self.name} did not accept on port {self.port} within {timeout}s "
                                 f"(log: {self.logpath})")
            time.sleep(delay)  # polling interval between connection attempts, not a synchronisation
            delay = min(delay * 2, 0.05)

    def alive(self):
        return self.proc.poll() is None

    def cpu(self):
        return cpu_seconds(self.pid)

    def rss(self):
        return rss_kib(self.pid)

    def log_head(self, lines=5):
        try:
            with open(self.logpath) as f:
                return "".join(f.readlines()[:lines]).rstrip()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s. Returns the exit status (negative for a signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode


def run_loadgen(cmd, cpus, timeout):
    """Runs lbc_loadgen to completion; returns (exit status, parsed JSON lines, stderr text, its CPU
    seconds). The CPU comes from the rusage of reaped children: only the load generator is reaped
    during the call (proxies and the backend are waited for elsewhere)."""
    import json
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=_affinity(cpus))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    results = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    return p.returncode, results, p.stderr.strip(), cpu


def start_loadgen(cmd, cpus):
    """Starts lbc_loadgen with a pipe on stdin (the idle scenario holds until it closes)."""
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_affinity(cpus))


class _PerfAttached:
    """perf (record or stat) attached to the proxy, counting only between start and stop: perf starts
    with its events disabled and is enabled through its control pipe, acknowledged, so no event of
    the load is missed while perf attaches (under --fifo a plain perf would be the last to run). Under
    FIFO, perf itself runs at a higher SCHED_FIFO priority than the benchmark."""

    def __init__(self, args):
        ctl_r, self.ctl_w = os.pipe()
        self.ack_r, ack_w = os.pipe()
        prio = (lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(2))) if FIFO else None
        self.proc = subprocess.Popen(["perf"] + args[:1] + ["-D", "-1", "--control", f"fd:{ctl_r},{ack_w}"] + args[1:],
                                     stdout=subprocess.DEVNULL, stderr=self.log, pass_fds=(ctl_r, ack_w),
                                     preexec_fn=prio)
        os.close(ctl_r)
        os.close(ack_w)
        self._command("enable")

    def _command(self, cmd):
        """Sends a control command and waits for perf's ack (or for perf to exit)."""
        import select
        try:
            os.write(self.ctl_w, (cmd + "\n").encode())
        except OSError:
            return
        deadline = time.monotonic() + 30
        got = b""
        while b"ack" not in got and time.monotonic() < deadline and self.proc.poll() is None:
            ready, _, _ = select.select([self.ack_r], [], [], 0.5)
            if ready:
                chunk = os.read(self.ack_r, 64)
                if not chunk:
                    break
                got += chunk

    def _finish(self):
        self._command("disable")
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.close(self.ctl_w)
        os.close(self.ack_r)
        self.log.close()


class Profiler(_PerfAttached):
    """`perf record -g` attached to the proxy for one run; stop() also writes the top symbols."""

    def __init__(self, pid, prefix):
        self.prefix = prefix
        self.log = open(prefix + ".perf.log", "w")
        super().__init__(["record", "-g", "-F", "999", "-p", str(pid), "-o", prefix + ".perf.data"])

    def stop(self):
        self._finish()
        with open(self.prefix + ".perf.txt", "w") as out:
            for sort in ("dso", "dso,symbol"):  # kernel/user split first, then the hot symbols
                out.flush()
                subprocess.run(["perf", "report", "-i", self.prefix + ".perf.data", "--stdio", "--no-children",
                                "--percent-limit", "0.5", "--sort", sort, "-g", "none", "-q"],
                               stdout=out, stderr=subprocess.DEVNULL)


# Kernel events counted per request by `--counts`: how often the proxy enters the kernel, how often it
# sleeps (a context switch is a wait for work), and what io_uring does for it.
COUNTED_EVENTS = ["raw_syscalls:sys_enter", "sched:sched_switch", "io_uring:io_uring_submit_req",
                  "io_uring:io_uring_complete", "io_uring:io_uring_poll_arm", "io_uring:io_uring_task_work_run",
                  "io_uring:io_uring_queue_async_work"]


class Counter(_PerfAttached):
    """`perf stat` of COUNTED_EVENTS attached to the proxy for one run (tracepoints: a little overhead
    per event, so the run's CPU figures are a few per cent higher than without it)."""

    def __init__(self, pid, path):
        self.path = path
        self.log = open(path + ".log", "w")
        super().__init__(["stat", "-x", ",", "--no-big-num", "-e", ",".join(COUNTED_EVENTS), "-p", str(pid),
                          "-o", path])

    def stop(self):
        """{event: count} (events perf could not count are left out)."""
        self._finish()
        counts = {}
        try:
            with open(self.path) as f:
                for line in f:
                    fields = line.strip().split(",")
                    if len(fields) > 2 and fields[0].isdigit():
                        counts[fields[2]] = int(fields[0])
        except OSError:
            pass
        return counts


def tcp_counters():
    """Machine-wide TCP counters (all of loopback's traffic, both ends of every connection): segments
    sent, the data-carrying ones among them, pure ACKs received and delayed ACKs sent. Divided by the
    requests of a run they show how many packets one request costs, whoever sends them."""
    out = {}
    for path, names in (("/proc/net/snmp", {"OutSegs": "tcp segments"}),
                        ("/proc/net/netstat", {"TCPOrigDataSent": "tcp data segments",
                                               "TCPPureAcks": "tcp pure ACKs",
                                               "DelayedACKs": "tcp delayed ACKs"})):
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for head, vals in zip(lines[::2], lines[1::2]):
            for k, v in zip(head.split()[1:], vals.split()[1:]):
                if k in names:
                    out[names[k]] = int(v)
    return out
