// The memory of HTTP/1 streams, taken while bytes wait and given back once they are gone (as
// HAProxy's buffers): a read that waits for a head with nothing buffered (an idle keep-alive
// connection, a slow client's first byte, a server yet to answer) goes into a provided buffer of
// the loop, and its bytes are copied into a buffer of the thread's pool only when they come. A
// side's buffer then stays while its message is read (the body is read straight into it), and
// goes back when the transaction ends with the side empty.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http1/session.h"
#include "stream/engine.h"

namespace lbc::rt {

void Http1Session::recvArm(Stream* c, int dir) {
  HttpStream& h = *hs(c);
  bool& pending = dir == 0 ? h.recv_c : h.recv_s;
  const uint32_t used = dir == 0 ? h.ilen : h.rlen;
  if (pending || used >= h.cap) return;
  const bool head_wait = used == 0 && (dir == 0 ? h.phase == HttpStream::Phase::kReqHead : !h.res_head);
  if (head_wait) {
    giveSide(h, dir);
    if (c->side(dir).recvBuffered()) {
      pending = true;
      (dir == 0 ? h.pb_c : h.pb_s) = true;
      return;
    }
  }
  recvInto(c, dir);
}

// A read into the side's own buffer (taken now if it has none).
void Http1Session::recvInto(Stream* c, int dir) {
  HttpStream& h = *hs(c);
  takeSide(h, dir);
  const uint32_t used = dir == 0 ? h.ilen : h.rlen;
  c->side(dir).recvInto((dir == 0 ? h.in.get() : h.res.get()) + used, h.cap - used);
  (dir == 0 ? h.recv_c : h.recv_s) = true;
}

// The completion of a read into a provided buffer: its bytes go to the side's buffer (the ring's
// buffer goes back at once); with none free (ENOBUFS) the side reads into its own. False: the
// completion is dealt with.
bool Http1Session::landBuffered(Stream* c, int dir, int res, uint16_t bid) {
  HttpStream& h = *hs(c);
  const bool live = c->st != ConnState::Closing && c->st != ConnState::Free;
  if (res > 0) {
    if (live) {
      takeSide(h, dir);
      const uint32_t used = dir == 0 ? h.ilen : h.rlen;
      // One provided buffer is bufsize bytes and the side was empty: it fits.
      std::memcpy((dir == 0 ? h.in.get() : h.res.get()) + used, e_.bufData(bid),
                  std::min<size_t>(size_t(res), h.cap - used));
    }
    e_.recycle(bid);
    return true;
  }
  if (res == -ENOBUFS && live) {
    recvInto(c, dir);
    return false;
  }
  return true;
}

void Http1Session::takeSide(HttpStream& h, int dir) {
  if (dir == 0) {
    if (!h.in) bufs_.take(h.in);
  } else {
    if (!h.res) bufs_.take(h.res);
    if (!h.resh) {
      heads_.take(h.resh);
      h.resp.setHeaders(h.resh.get());
    }
  }
}

// The side's buffer and header array go back when nothing is in them and no read targets them.
void Http1Session::giveSide(HttpStream& h, int dir) {
  if (dir == 0) {
    if (h.ilen || (h.recv_c && !h.pb_c)) return;
    bufs_.give(h.in);
  } else {
    if (h.rlen || (h.recv_s && !h.pb_s)) return;
    bufs_.give(h.res);
    heads_.give(h.resh);
    h.resp.setHeaders(nullptr);
  }
}

// Between transactions: what is empty goes back (a pipelined request keeps the client's buffer;
// `res_busy`: a read cancelled with the server's descriptor may still land in the server's).
void Http1Session::settle(HttpStream& h, bool res_busy) {
  giveSide(h, 0);
  if (!res_busy) giveSide(h, 1);
  if (!h.send_c) strs_.give(h.wc);
  if (!h.send_s) strs_.give(h.ws);
}

// The stream goes back to the pool: nothing of it is pending any more.
void Http1Session::giveAll(HttpStream& h) {
  bufs_.give(h.in);
  bufs_.give(h.res);
  heads_.give(h.resh);
  h.resp.setHeaders(nullptr);
  strs_.give(h.wc);
  strs_.give(h.ws);
}

}  // namespace lbc::rt
