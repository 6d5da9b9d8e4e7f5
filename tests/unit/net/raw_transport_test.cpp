// The raw transport over a real loop and a socket pair: what a session sees (events, provided
// buffers, counts of its own bytes only) and what the peer receives (the prefix, then the bytes).
#include "net/raw_transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <vector>

namespace lbc::rt {
namespace {

struct Recorder : TransportUser {
  void onTransport(Transport&, const TransportEvent& ev) override {
    events.push_back(ev);
    if (ev.kind == TransportEvent::kRecv && ev.res > 0 && ev.buffered) {
      data.append(reinterpret_cast<const char*>(loop->bufBase()) + size_t(ev.bid) * loop->bufSize(),
                  size_t(ev.res));
      loop->bufs().put(ev.bid);
    }
    if (ev.kind == TransportEvent::kRecv && ev.res == 0) eof = true;
  }
  int count(TransportEvent::Kind k) const {
    int n = 0;
    for (auto& e : events) n += e.kind == k;
    return n;
  }
  Loop* loop = nullptr;
  std::vector<TransportEvent> events;
  std::string data;
  bool eof = false;
};

class RawTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    LoopOptions o;
    o.sq_entries = 64;
    o.cq_entries = 256;
    o.buf_size = 4096;
    o.buf_count = 64;
    if (!loop.init(o, err)) GTEST_SKIP() << "no io_uring here: " << err;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    for (auto* r : {&ra, &rb}) r->loop = &loop;
    a.setLoop(&loop);
    b.setLoop(&loop);
    a.setUser(&ra);
    b.setUser(&rb);
    a.adopt(fds[0], false);
    b.adopt(fds[1], false);
  }
  // Turns the loop until `done` or 200 rounds.
  template <class F>
  void runUntil(F done) {
    for (int i = 0; i < 200 && !done(); ++i) {
      loop.bufs().refill(loop.now());
      loop.waitAndDispatch(10);
    }
  }

  Loop loop;
  int fds[2] = {-1, -1};
  RawTransport a, b;
  Recorder ra, rb;
};

TEST_F(RawTransportTest, BytesGoThroughProvidedBuffersAndTheEndIsReported) {
  EXPECT_TRUE(a.handshake());  // raw: ready at once
  b.recvMultishot();
  const std::string msg = "hello, peer";
  a.send(msg.data(), msg.size());
  runUntil([&] { return rb.data.size() >= msg.size() && ra.count(TransportEvent::kSent) == 1; });
  EXPECT_EQ(rb.data, msg);
  ASSERT_EQ(ra.count(TransportEvent::kSent), 1);
  EXPECT_EQ(ra.events.back().res, int(msg.size()));
  a.shutdownWrite();
  runUntil([&] { return rb.eof; });
  EXPECT_TRUE(rb.eof);
  a.close(false);
  b.close(false);
  runUntil([&] { return !a.busy() && !b.busy(); });
  EXPECT_EQ(a.busy(), 0u);
  EXPECT_EQ(b.busy(), 0u);
  EXPECT_FALSE(a.open());
}

TEST_F(RawTransportTest, APrefixGoesFirstAndIsNotCountedAsTheCallersBytes) {
  const std::string prefix = "PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n";
  a.setSendPrefix(prefix);
  b.recvMultishot();
  const std::string msg = "GET / HTTP/1.1\r\n\r\n";
  a.send(msg.data(), msg.size());
  runUntil(
      [&] { return rb.data.size() >= prefix.size() + msg.size() && ra.count(TransportEvent::kSent) == 1; });
  EXPECT_EQ(rb.data, prefix + msg);
  ASSERT_EQ(ra.count(TransportEvent::kSent), 1);  // one report, for the caller's send only
  EXPECT_EQ(ra.events.back().res, int(msg.size()));
  a.send(msg.data(), msg.size());  // the prefix went once
  runUntil([&] { return rb.data.size() >= prefix.size() + 2 * msg.size(); });
  EXPECT_EQ(rb.data, prefix + msg + msg);
  a.close(false);
  b.close(false);
  runUntil([&] { return !a.busy() && !b.busy(); });
}

TEST_F(RawTransportTest, StopRecvEndsTheMultishotReadAndThePeerCloseIsWatched) {
  b.recvMultishot();
  b.stopRecv();
  runUntil([&] { return rb.count(TransportEvent::kRecv) == 1; });
  ASSERT_EQ(rb.count(TransportEvent::kRecv), 1);
  EXPECT_FALSE(rb.events.front().kind == TransportEvent::kRecv && rb.events.front().more);
  b.watchPeerClose();
  a.closeNow(false);
  runUntil([&] { return rb.count(TransportEvent::kPeerClosed) == 1; });
  EXPECT_EQ(rb.count(TransportEvent::kPeerClosed), 1);
  b.close(false);
  runUntil([&] { return !b.busy(); });
  EXPECT_EQ(b.busy(), 0u);
}

}  // namespace
}  // namespace lbc::rt
