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
  void start(Stream* c) override;
  bool watchWhileQueued() const override { return true; }
  bool beforeConnect(Stream*) override { return false; }
  void noServer(Stream* c, bool connect_timeout) override;
  bool pinned(const Stream*) const override { return false; }
  void redispatching(Stream*) override {}
  void established(Stream* c) override;
  void onRecv(Stream* c, int dir, int res, bool more, uint16_t bid) override;
  void onSent(Stream* c, int dir, int res) override;
  void clientShut(Stream* c, int res, bool waiting, bool abortonclose) override;
  void closing(Stream* c) override;  // the tcplog line
  void freed(Stream*) override {}
  uint64_t deadline(const Stream* c) const override;
  void onTimeout(Stream* c) override;
  std::string_view requestData(const Stream* c) const override;
  bool requestComplete(Stream* c) override;
  void inspectStart(Stream* c, bool delay) override;
  void inspectEnd(Stream*) override {}  // the client stays read until the server is there
  void readMore(Stream*) override {}    // the client is read while rules wait
  bool requestRules(Stream*, uint32_t, bool) override { return true; }
  void noBackend(Stream* c) override;
  const Txn* balanceTxn(const Stream*) const override { return nullptr; }

 private:
  Engine& e_;
};

}  // namespace lbc::rt
