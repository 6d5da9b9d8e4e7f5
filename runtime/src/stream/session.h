// What a client connection's protocol does with the connection's events: the Session, chosen at
// accept from the frontend's mode (the TCP relay, HTTP/1; HTTP/2 and the CLI are further
// implementations). The connection code (accept, server choice, connect and retries, close,
// timers) calls these at the points where protocols differ and never asks which protocol it is.
// Sessions are stateless per worker: the state they act on hangs off the connection.
#pragma once
#include <cstdint>

namespace lbc::rt {

struct Conn;

class Session {
 public:
  virtual ~Session() = default;

  // Accepted: the session starts reading (or runs the connection rules first).
  virtual void start(Conn* c) = 0;
  // A queued client is watched for a reset even without `option abortonclose`.
  virtual bool watchWhileQueued() const = 0;
  // Before a new server connection: true when the exchange went on an idle one instead.
  virtual bool beforeConnect(Conn* c) = 0;
  // No server could take the connection (none usable, retries exhausted).
  virtual void noServer(Conn* c, bool connect_timeout) = 0;
  // Persistence chose the server (it is not left at the first failure); a redispatch forgets it.
  virtual bool pinned(const Conn* c) const = 0;
  virtual void redispatching(Conn* c) = 0;
  // The server connection is ready.
  virtual void established(Conn* c) = 0;
  // Transport events of the client (dir 0) or server (dir 1) side.
  virtual void onRecv(Conn* c, int dir, int res, bool more, uint16_t bid) = 0;
  // `dir`: the direction whose bytes were sent (0 client -> server).
  virtual void onSent(Conn* c, int dir, int res) = 0;
  // The watched client shut or reset (`res`: poll events) while `waiting` for a server.
  virtual void clientShut(Conn* c, int res, bool waiting, bool abortonclose) = 0;
  // The connection closes (its log line, its idle server connection), then is freed.
  virtual void closing(Conn* c) = 0;
  virtual void freed(Conn* c) = 0;
  // The earliest moment the connection must be looked at (0 = never), and what happens then.
  virtual uint64_t deadline(const Conn* c) const = 0;
  virtual void onTimeout(Conn* c) = 0;
};

}  // namespace lbc::rt
