// The process around the workers, as HAProxy 2.6 sets it up once everything that needs
// privileges is open: the pidfile, the fork to the background (`daemon`, -D), the chroot and
// the identity (user/uid, group/gid).
#pragma once
#include <string>

#include "lbc/rt/topology.h"

namespace lbc::rt {

class Detach {
 public:
  // Opens the pidfile (before the chroot: its path is outside the jail). False after an alert.
  bool openPidfile(const std::string& path);
  // Forks; the parent stays here until the child reports ready() (writes the child's pid to the
  // pidfile, exits 0) or fails (exits 1: the child printed why on the stderr they share). Returns
  // in the child, a session leader. False after an alert when the fork fails.
  bool daemonize();
  // Start-up succeeded: the pidfile gets this process's id (foreground), the waiting parent is
  // released and the daemon's stdin/stdout/stderr go to /dev/null.
  void ready();
  ~Detach();

 private:
  int pid_fd_ = -1;
  int ready_fd_ = -1;  // the daemon's end of the pipe its parent waits on
  int null_fd_ = -1;   // /dev/null, opened before the chroot
};

// chroot(dir) + chdir("/"), then the supplementary groups dropped, setgid, setuid: the order
// and messages of HAProxy 2.6's set_identity(). False after an alert.
bool enterJail(const GlobalSpec& g);

}  // namespace lbc::rt
