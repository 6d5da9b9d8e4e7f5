#include "main/process.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lbc::rt {
namespace {

void alert(const std::string& msg) {
  std::fprintf(stderr, "lbc: [ALERT] %s\n", msg.c_str());
}
void warning(const std::string& msg) {
  std::fprintf(stderr, "lbc: [WARNING] %s\n", msg.c_str());
}

bool writePid(int fd, pid_t pid) {
  std::string s = std::to_string(pid) + "\n";
  return ftruncate(fd, 0) == 0 && pwrite(fd, s.data(), s.size(), 0) == ssize_t(s.size());
}

}  // namespace

bool Detach::openPidfile(const std::string& path) {
  if (path.empty()) return true;
  pid_fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (pid_fd_ < 0) {
    alert("cannot create pidfile " + path + ": " + strerror(errno));
    return false;
  }
  return true;
}

bool Detach::daemonize() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    alert(std::string("cannot fork: ") + strerror(errno));
    return false;
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    alert(std::string("cannot fork: ") + strerror(errno));
    close(p[0]), close(p[1]);
    return false;
  }
  if (pid > 0) {
    close(p[1]);
    char c = 0;
    ssize_t n;
    do n = read(p[0], &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1) {
      if (pid_fd_ >= 0 && !writePid(pid_fd_, pid)) {
        alert(std::string("cannot write the pidfile: ") + strerror(errno));
        _exit(1);
      }
      _exit(0);
    }
    int status = 0;  // the daemon failed to start and said why
    waitpid(pid, &status, 0);
    _exit(1);
  }
  close(p[0]);
  ready_fd_ = p[1];
  null_fd_ = open("/dev/null", O_RDWR | O_CLOEXEC);  // now: a jail has no /dev/null
  setsid();
  return true;
}

void Detach::ready() {
  if (ready_fd_ < 0) {
    if (pid_fd_ >= 0 && !writePid(pid_fd_, getpid()))
      warning(std::string("cannot write the pidfile: ") + strerror(errno));
  } else {
    char c = 1;
    std::fflush(nullptr);
    if (null_fd_ >= 0) {  // before the parent returns: nothing more reaches its stderr
      dup2(null_fd_, 0), dup2(null_fd_, 1), dup2(null_fd_, 2);
      close(null_fd_);
      null_fd_ = -1;
    }
    ssize_t w = write(ready_fd_, &c, 1);
    (void)w;
    close(ready_fd_);
    ready_fd_ = -1;
  }
  if (pid_fd_ >= 0) close(pid_fd_);
  pid_fd_ = -1;
}

Detach::~Detach() {
  if (pid_fd_ >= 0) close(pid_fd_);
  if (ready_fd_ >= 0) close(ready_fd_);
  if (null_fd_ >= 0) close(null_fd_);
}

bool enterJail(const GlobalSpec& g) {
  tzset();  // log dates keep the local time zone: /etc/localtime is outside the jail
  if (!g.chroot.empty() && (chroot(g.chroot.c_str()) != 0 || chdir("/") != 0)) {
    alert("Cannot chroot(" + g.chroot + ").");
    return false;
  }
  if (g.gid) {
    if (getgroups(0, nullptr) > 0 && setgroups(0, nullptr) != 0)
      warning(
          "Failed to drop supplementary groups. Using 'gid'/'group' without 'uid'/'user' is generally "
          "useless.");
    if (setgid(g.gid) != 0) {
      alert("Cannot set gid " + std::to_string(g.gid) + ".");
      return false;
    }
  }
  if (g.uid && setuid(g.uid) != 0) {
    alert("Cannot set uid " + std::to_string(g.uid) + ".");
    return false;
  }
  return true;
}

}  // namespace lbc::rt
