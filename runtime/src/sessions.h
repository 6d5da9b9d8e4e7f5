// The sessions of today (stream/session.h): the TCP relay and HTTP/1.
#pragma once
#include "stream/session.h"

namespace lbc::rt {

class Worker;

class RelaySession final : public Session {
 public:
  explicit RelaySession(Worker& w) : w_(w) {}
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

 private:
  Worker& w_;
};

class Http1Session final : public Session {
 public:
  explicit Http1Session(Worker& w) : w_(w) {}
  void start(Conn* c) override;
  bool watchWhileQueued() const override { return false; }
  bool beforeConnect(Conn* c) override;
  void noServer(Conn* c, bool connect_timeout) override;
  bool pinned(const Conn* c) const override;
  void redispatching(Conn* c) override;
  void established(Conn* c) override;
  void onRecv(Conn* c, int dir, int res, bool more, uint16_t bid) override;
  void onSent(Conn* c, int dir, int res) override;
  void clientShut(Conn* c, int res, bool waiting, bool abortonclose) override;
  void closing(Conn* c) override;
  void freed(Conn* c) override;
  uint64_t deadline(const Conn* c) const override;
  void onTimeout(Conn* c) override;

 private:
  Worker& w_;
};

}  // namespace lbc::rt
