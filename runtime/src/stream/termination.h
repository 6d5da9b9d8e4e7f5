// How a stream ended, as HAProxy logs it in the first two characters of %tsc: who ended it
// (HAProxy's SF_ERR_*) and in which state it was (SF_FINST_*). Set once, where the cause is
// known; the log reads the characters from the tables below.
#pragma once
#include <cstdint>

namespace lbc::rt {

enum class TermCause : uint8_t {
  kNone,           // '-' SF_ERR_NONE: ended normally
  kClientAbort,    // 'C' SF_ERR_CLICL: the client closed or reset
  kClientTimeout,  // 'c' SF_ERR_CLITO
  kServerAbort,    // 'S' SF_ERR_SRVCL: the server closed, reset or refused
  kServerTimeout,  // 's' SF_ERR_SRVTO
  kProxy,          // 'P' SF_ERR_PRXCOND: the proxy refused (deny, invalid message)
  kLocal,          // 'L' SF_ERR_LOCAL: answered locally (a rule's reply, a redirect)
  kResource,       // 'R' SF_ERR_RESOURCE
  kInternal,       // 'I' SF_ERR_INTERNAL
  kDown,           // 'D' SF_ERR_DOWN: the server went down
  kKilled,         // 'K' SF_ERR_KILLED
  kUp,             // 'U' SF_ERR_UP: a backup server was replaced
};

enum class TermState : uint8_t {
  kNone,     // '-'
  kRequest,  // 'R' SF_FINST_R: waiting for (or analysing) the request
  kQueue,    // 'Q' SF_FINST_Q: queued
  kConnect,  // 'C' SF_FINST_C: connecting to the server
  kHeaders,  // 'H' SF_FINST_H: waiting for the response headers
  kData,     // 'D' SF_FINST_D: transferring data
  kLast,     // 'L' SF_FINST_L: sending the last data
  kTarpit,   // 'T' SF_FINST_T: tarpitted
};

inline constexpr char kTermCauseChars[] = {'-', 'C', 'c', 'S', 's', 'P', 'L', 'R', 'I', 'D', 'K', 'U'};
inline constexpr char kTermStateChars[] = {'-', 'R', 'Q', 'C', 'H', 'D', 'L', 'T'};

struct Termination {
  TermCause cause = TermCause::kNone;
  TermState state = TermState::kNone;

  bool known() const { return cause != TermCause::kNone; }
  void set(TermCause c, TermState s) {
    cause = c;
    state = s;
  }
  char causeChar() const { return kTermCauseChars[uint8_t(cause)]; }
  char stateChar() const { return kTermStateChars[uint8_t(state)]; }
};

}  // namespace lbc::rt
