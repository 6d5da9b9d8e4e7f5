// Addresses and listening sockets, done once at start-up.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "lbc/rt/topology.h"

namespace lbc::rt {

// Resolves a server (or check) endpoint into a socket address; host names go through the
// system resolver. `port` overrides the endpoint's port when non-zero.
bool resolveEndpoint(const Endpoint& e, uint16_t port, sockaddr_storage& out, socklen_t& len,
                     std::string& err);

// Opens one listening socket for `port` of bind `b`; `reuseport` for per-thread sockets.
// Returns the fd, or -1 with `err` in HAProxy's words ("cannot bind socket (...) [addr]").
int openListener(const BindSpec& b, uint16_t port, uint32_t backlog, bool reuseport, std::string& err);

// An IPv4 or IPv6 socket address as the 16 address bytes (IPv4 in the first 4), the family and the
// port in host order; anything else (a unix socket) as zeroes.
void addrParts(const sockaddr_storage& ss, uint8_t ip[16], bool& v6, uint16_t& port);

// True for the bind kinds that are one socket shared by every thread (unix@, abns@, fd@).
bool sharedListener(const BindSpec& b);

}  // namespace lbc::rt
