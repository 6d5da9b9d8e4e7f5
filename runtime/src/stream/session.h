// What a client connection's protocol does with the connection's events: the Session, chosen at
// accept from the frontend's mode (the TCP relay, HTTP/1; HTTP/2 and the CLI are further
// implementations). The connection code (accept, server choice, connect and retries, close,
// timers) calls these at the points where protocols differ and never asks which protocol it is.
// Sessions are stateless per worker: the state they act on hangs off the connection.
#pragma once
#include <cstdint>
#include <string_view>

namespace lbc::rt {

struct Stream;
struct Txn;

// A session's own per-connection state (the HTTP/1 stream's buffers and parsers), hung on the
// connection; the stream layer only carries the pointer.
struct SessionData {
 protected:
  ~SessionData() = default;
};

class Session {
 public:
  virtual ~Session() = default;

  // Accepted: the session starts reading (or runs the connection rules first).
  virtual void start(Stream* c) = 0;
  // A queued client is watched for a reset even without `option abortonclose`.
  virtual bool watchWhileQueued() const = 0;
  // Before a new server connection: true when the exchange went on an idle one instead.
  virtual bool beforeConnect(Stream* c) = 0;
  // No server could take the connection (none usable, retries exhausted).
  virtual void noServer(Stream* c, bool connect_timeout) = 0;
  // Persistence chose the server (it is not left at the first failure); a redispatch forgets it.
  virtual bool pinned(const Stream* c) const = 0;
  virtual void redispatching(Stream* c) = 0;
  // The server connection is ready.
  virtual void established(Stream* c) = 0;
  // Transport events of the client (dir 0) or server (dir 1) side.
  virtual void onRecv(Stream* c, int dir, int res, bool more, uint16_t bid) = 0;
  // `dir`: the direction whose bytes were sent (0 client -> server).
  virtual void onSent(Stream* c, int dir, int res) = 0;
  // The watched client shut or reset (`res`: poll events) while `waiting` for a server.
  virtual void clientShut(Stream* c, int res, bool waiting, bool abortonclose) = 0;
  // The connection closes (its log line, its idle server connection), then is freed.
  virtual void closing(Stream* c) = 0;
  virtual void freed(Stream* c) = 0;
  // The earliest moment the connection must be looked at (0 = never), and what happens then.
  virtual uint64_t deadline(const Stream* c) const = 0;
  virtual void onTimeout(Stream* c) = 0;

  // What the analysers (stream/analyse.cpp) ask of the session.
  // The request bytes content and stick rules see, and whether more can come.
  virtual std::string_view requestData(const Stream* c) const = 0;
  virtual bool requestComplete(Stream* c) = 0;
  // A stage of content rules starts (`delay`: with an inspect delay, so the session reads the
  // client's bytes for them), or is done.
  virtual void inspectStart(Stream* c, bool delay) = 0;
  virtual void inspectEnd(Stream* c) = 0;
  // A rule needs more request data than there is.
  virtual void readMore(Stream* c) = 0;
  // The http-request stage of the frontend (`backend` false) or of the chosen backend: false
  // when the stage waits or ended the exchange.
  virtual bool requestRules(Stream* c, uint32_t proxy, bool backend) = 0;
  // No backend matched (or it is disabled).
  virtual void noBackend(Stream* c) = 0;
  // The transaction a balancing key is taken from (uri, url_param, hdr), or null.
  virtual const Txn* balanceTxn(const Stream* c) const = 0;
};

}  // namespace lbc::rt
