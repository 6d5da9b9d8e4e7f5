// The TCP relay (`mode tcp`): the Session whose stream is the connection's whole life. Client
// and server bytes go through the engine's pipes of provided buffers (no copy); content rules
// inspect a bounded copy while they wait (stream/analyse.cpp).
#pragma once
#include "stream/session.h"

namespace lbc::rt {

class Engine;

class RelaySession final : public Session {
 public:
  explicit RelaySession(Engine& e) : e_(e) {}
  void start(Conn* c) override;
  bool watchWhileQueued() const override { return true; }
  bool beforeConnect(Conn*) override { return false; }
  void noServer(Conn* c, bool connect_timeout) override;
  bool pinned(const Conn*) const override { return false; }
  void redispatching(Conn*) override {}
  void established(Conn* c) override;
  void onRecv(Conn* c, int dir, int res, bool more, uint16_t bid) override;
  void onSent(Conn* c, int dir, int res) override;
  void clientShut(Conn* c, int res, bool waiting, bool abortonclose) override;
  void closing(Conn*) override {}
  void freed(Conn*) override {}
  uint64_t deadline(const Conn* c) const override;
  void onTimeout(Conn* c) override;
  std::string_view requestData(const Conn* c) const override;
  bool requestComplete(Conn* c) override;
  void inspectStart(Conn* c, bool delay) override;
  void inspectEnd(Conn*) override {}  // the client stays read until the server is there
  void readMore(Conn*) override {}    // the client is read while rules wait
  bool requestRules(Conn*, uint32_t, bool) override { return true; }
  void noBackend(Conn* c) override;
  const Txn* balanceTxn(const Conn*) const override { return nullptr; }

 private:
  Engine& e_;
};

}  // namespace lbc::rt
