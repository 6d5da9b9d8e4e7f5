// serve(): from a program descriptor to a running proxy. Everything that can fail because of
// the configuration or the machine (addresses, ports, permissions, limits) fails here, before
// the first connection, with the configuration line it comes from.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "admin/cli.h"
#include "admin/stats_page.h"
#include "core/clock.h"
#include "lbc/rt/run.h"
#include "main/process.h"
#include "main/worker.h"
#include "net/sockets.h"

namespace lbc::rt {
namespace {

std::vector<std::unique_ptr<Worker>>* g_workers = nullptr;

void alert(const std::string& where, const std::string& msg) {
  std::fprintf(stderr, "lbc: [ALERT] %s%s%s\n", where.c_str(), where.empty() ? "" : ": ", msg.c_str());
}

void wakeOwner(QueueLink* link) {
  link->owner->post(link);
}
void resumeAll() {
  for (auto& w : *g_workers) w->postResume();
}

// HAProxy sizes its default maxconn from the file descriptor limit (two fds per connection).
uint32_t fitLimits(uint32_t maxconn, bool quiet) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = maxconn ? rlim_t(maxconn) * 2 + 256 : rl.rlim_max;
  if (want > rl.rlim_max) want = rl.rlim_max;
  if (want > rl.rlim_cur) {
    rlimit nr{want, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &nr) == 0) rl.rlim_cur = want;
  }
  if (!maxconn) {
    uint64_t m = rl.rlim_cur > 300 ? (rl.rlim_cur - 256) / 2 : 16;
    return uint32_t(std::min<uint64_t>(m, 100000));
  }
  if (uint64_t(maxconn) * 2 + 64 > rl.rlim_cur && !quiet)
    std::fprintf(stderr, "lbc: [WARNING] maxconn %u needs %u file descriptors but the limit is %llu\n",
                 maxconn, maxconn * 2 + 64, static_cast<unsigned long long>(rl.rlim_cur));
  return maxconn;
}

}  // namespace

class Runtime {
 public:
  LiveState state;
  std::vector<std::unique_ptr<Worker>> workers;
  pthread_t thread{};
  std::mutex installing;
  GlobalSpec global;  // as adjusted at start-up
};

namespace {

// Builds a generation from `program` and binds it to the live state: published, ready to hand
// to workers. Null after an alert.
GenerationRef prepare(Runtime& rt, const lbc_program* program, std::shared_ptr<const void> keep,
                      const GlobalSpec* global, std::string& where, std::string& err) {
  std::unique_ptr<Generation> g = Generation::create(program, std::move(keep), where, err);
  if (!g) return {};
  if (global) g->topo.global = *global;
  if (!rt.state.bind(*g, where, err)) return {};
  GenerationRef ref(std::move(g));
  rt.state.keepSpecs(ref);
  return ref;
}

}  // namespace

bool install(Runtime& rt, const lbc_program* program, std::shared_ptr<const void> keep, std::string& err) {
  std::lock_guard lock(rt.installing);
  std::string where;
  GenerationRef g = prepare(rt, program, std::move(keep), &rt.global, where, err);
  if (!g) {
    if (!where.empty()) err = where + ": " + err;
    return false;
  }
  std::atomic<uint32_t> adopted{0};
  for (auto& w : rt.workers) w->adopt(g, &adopted);
  for (uint32_t n = adopted.load(); n < rt.workers.size(); n = adopted.load()) adopted.wait(n);
  return true;
}

void stop(Runtime& rt) {
  pthread_kill(rt.thread, SIGTERM);
}

int serve(const lbc_program* program, const RunFlags& flags) {
  return serve(program, flags, ServeOptions{});
}

int serve(const lbc_program* program, const RunFlags& flags, ServeOptions opts) {
  Runtime rt;
  rt.thread = pthread_self();
  rt.state.quiet = flags.quiet;
  rt.state.wake = wakeOwner;
  rt.state.resume_all = resumeAll;
  registerStatsPage();  // the HTTP sessions' internal services (http1/service.h)
  std::string where, err;
  std::unique_ptr<Generation> first = Generation::create(program, std::move(opts.keep), where, err);
  if (!first) {
    alert(where, err);
    return 1;
  }
  GlobalSpec& fg = first->topo.global;
  if (flags.nbthread) fg.nbthread = flags.nbthread;
  if (!fg.nbthread) fg.nbthread = std::max(1u, std::thread::hardware_concurrency());
  if (fg.bufsize < 1024) fg.bufsize = 1024;
  fg.maxconn = fitLimits(fg.maxconn, flags.quiet);
  rt.global = fg;
  const GlobalSpec& g = rt.global;  // outlives the first generation
  rt.state.global.max = g.maxconn;
  if (!rt.state.bind(*first, where, err)) {
    alert(where, err);
    return 1;
  }
  GenerationRef gen(std::move(first));
  rt.state.keepSpecs(gen);
  const Topology* topo = &gen->topo;
  const GenerationView& view = viewOf(*gen);

  // Listeners: one SO_REUSEPORT socket per thread and port; unix@/abns@/fd@ are one socket
  // that every thread accepts from.
  std::vector<std::vector<Listener>> per_thread(g.nbthread);
  std::vector<int> shared_fds;
  std::vector<std::unique_ptr<Limit>> bind_limits;
  auto closeAll = [&] {
    for (auto& v : per_thread)
      for (auto& l : v)
        if (l.owned) l.closeSocket();
    for (int fd : shared_fds) close(fd);
  };
  for (size_t i = 0; i < topo->proxies.size(); ++i) {
    const ProxySpec& p = topo->proxies[i];
    if (!p.frontend) continue;
    const Frontend* fe = view.frontends[i];
    for (uint32_t bi = 0; bi < p.binds.size(); ++bi) {
      const BindSpec& b = p.binds[bi];
      Limit* lim = nullptr;
      if (b.maxconn) {
        bind_limits.push_back(std::make_unique<Limit>());
        bind_limits.back()->max = b.maxconn;
        lim = bind_limits.back().get();
      }
      uint32_t backlog = b.backlog ? b.backlog : fe->limit.max;
      bool one = sharedListener(b);
      for (uint32_t port = b.addr.port_lo; port <= std::max(b.addr.port_lo, b.addr.port_hi); ++port) {
        for (uint32_t t = 0; t < (one ? 1 : g.nbthread); ++t) {
          int fd = openListener(b, uint16_t(port), backlog, !one, err);
          if (fd < 0) {
            alert(b.where, "Starting frontend " + p.name + ": " + err);
            closeAll();
            return 1;
          }
          if (one) {
            shared_fds.push_back(fd);
            for (auto& v : per_thread) v.push_back(Listener{fd, false, fe->live, lim, bi});
          } else {
            per_thread[t].push_back(Listener{fd, true, fe->live, lim, bi});
          }
        }
        if (port == 65535) break;
      }
    }
  }

  std::vector<int> cli_fds;  // the stats sockets: served by the first worker
  if (!openStatsSockets(g, cli_fds, where, err)) {
    alert(where, err);
    closeAll();
    return 1;
  }

  // What needs privileges is open: the pidfile, then the fork, the jail and the identity.
  Detach detach;
  if (!detach.openPidfile(flags.pidfile.empty() ? g.pidfile : flags.pidfile) ||
      ((flags.daemon || g.daemon) && !detach.daemonize()) || !enterJail(g)) {
    closeAll();
    for (int fd : cli_fds) close(fd);
    return 1;
  }

  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<Worker>>& workers = rt.workers;
  g_workers = &workers;
  for (uint32_t t = 0; t < g.nbthread; ++t)
    workers.push_back(std::make_unique<Worker>(rt.state, gen, t, std::move(per_thread[t])));
  if (!cli_fds.empty()) workers[0]->serveCli(std::move(cli_fds));
  gen.reset();  // the workers hold it now
  // A SINGLE_ISSUER ring belongs to the thread that creates it: each worker creates its own
  // and reports here before the first connection.
  std::atomic<uint32_t> ready{0}, done{0};
  std::vector<std::string> init_err(workers.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < workers.size(); ++t)
    threads.emplace_back([&, t] {
      bool ok = workers[t]->init(init_err[t]);
      ready.fetch_add(1);
      ready.notify_all();
      if (ok) workers[t]->run();
      done.fetch_add(1);
    });
  for (uint32_t r = ready.load(); r < workers.size(); r = ready.load()) ready.wait(r);
  for (size_t t = 0; t < workers.size(); ++t)
    if (!init_err[t].empty()) {
      alert("", "thread " + std::to_string(t) + ": " + init_err[t]);
      for (auto& w : workers) w->requestStop(true);
      for (auto& th : threads) th.join();
      for (int fd : shared_fds) close(fd);
      return 1;
    }

  detach.ready();
  if (opts.ready) opts.ready(rt);

  // SIGUSR1 (soft stop), SIGTERM and SIGINT stop accepting and let live connections finish,
  // for at most hard-stop-after; a second SIGTERM/SIGINT cuts them at once. With `grace`,
  // SIGUSR1 keeps accepting for that long first (HAProxy's grace period; SIGTERM does not wait).
  bool stopping = false, hard = false;
  uint64_t hard_at = 0, grace_at = 0;
  auto softStop = [&] {
    stopping = true;
    for (auto& w : workers) w->requestStop(false);
    if (g.hard_stop_after_ms) hard_at = monoMs() + g.hard_stop_after_ms;
  };
  while (done.load() < workers.size()) {
    timespec ts{0, 50 * 1000000};
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, stopping || grace_at ? &ts : nullptr);
    if (sig == SIGUSR1 && !stopping && g.grace_ms) {
      if (!grace_at) grace_at = monoMs() + g.grace_ms;
    } else if (sig == SIGTERM || sig == SIGINT || sig == SIGUSR1) {
      if (!stopping) {
        softStop();
      } else if (sig != SIGUSR1 && !hard) {
        hard = true;
        for (auto& w : workers) w->requestStop(true);
      }
    }
    if (grace_at && !stopping && monoMs() >= grace_at) {
      if (!flags.quiet)
        std::fprintf(stderr, "lbc: [NOTICE] Grace period expired, proceeding with soft-stop now.\n");
      softStop();
    }
    if (stopping && !hard && hard_at && monoMs() >= hard_at) {
      hard = true;
      for (auto& w : workers) w->requestStop(true);
    }
  }
  for (auto& t : threads) t.join();
  for (int fd : shared_fds) close(fd);
  workers.clear();
  g_workers = nullptr;
  return 0;
}

}  // namespace lbc::rt
