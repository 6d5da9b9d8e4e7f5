// Log-format rendering for rule arguments (set-header values, redirect targets, ...).
#include <cstdio>

#include "internal.h"
#include "uri.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

void append(std::string& out, std::string_view v, int32_t flags) {
  if (flags & LBC_LF_QUOTE) out += '"';
  if (flags & LBC_LF_ESC) {
    for (char c : v) {
      if (c == '"' || c == '\\')
        out += '\\', out += c;
      else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        char b[8];
        std::snprintf(b, sizeof b, "\\x%02X", static_cast<unsigned char>(c));
        out += b;
      } else
        out += c;
    }
  } else {
    out.append(v);
  }
  if (flags & LBC_LF_QUOTE) out += '"';
}

// A sample in a rule's format (HAProxy's lf_encode_chunk with http_encode_map): the characters a
// header value cannot hold (CTLs but HT) become %XX; with +E, '"', '\\' and ']' get a backslash.
void appendHttp(std::string& out, std::string_view v, int32_t flags) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      if ((flags & LBC_LF_ESC) && (c == '"' || c == '\\' || c == ']')) out += '\\';
      out += ch;
    }
  }
}

std::string_view proxyName(const Txn& t, int64_t idx) {
  if (!t.program || idx < 0 || idx >= static_cast<int64_t>(t.program->nproxies)) return "-";
  return t.program->proxy_names[idx];
}

}  // namespace

extern "C" {

void lbc_lf_begin(lbc_txn* txn) {
  T(txn).lf.clear();
}

void lbc_lf_text(lbc_txn* txn, const char* s, uint64_t n) {
  T(txn).lf.append(s, static_cast<size_t>(n));
}

void lbc_lf_smp(lbc_txn* txn, const lbc_smp* smp, int32_t flags) {
  Txn& t = T(txn);
  if (flags & LBC_LF_HTTP) {
    std::string_view v;
    if (smp->type != LBC_SMP_NONE && toStr(t, *smp, v)) appendHttp(t.lf, v, flags);
    return;
  }
  if (smp->type == LBC_SMP_NONE) {
    t.lf += '-';
    return;
  }
  if ((flags & LBC_LF_HEX) && (smp->type == LBC_SMP_SINT || smp->type == LBC_SMP_BOOL)) {
    char b[24];
    std::snprintf(b, sizeof b, "%llX", static_cast<unsigned long long>(smp->sint));
    append(t.lf, b, flags);
    return;
  }
  std::string_view v;
  if (!toStr(t, *smp, v)) {
    t.lf += '-';
    return;
  }
  append(t.lf, v, flags);
}

void lbc_lf_alias(lbc_txn* txn, int32_t alias, int32_t flags) {
  Txn& t = T(txn);
  std::string v;
  switch (alias) {
    case LBC_ALIAS_CI:
      v = ipText(t.src, t.src_v6);
      break;
    case LBC_ALIAS_CP:
      v = std::to_string(t.src_port);
      break;
    case LBC_ALIAS_FI:
      v = ipText(t.dst, t.dst_v6);
      break;
    case LBC_ALIAS_FP:
      v = std::to_string(t.dst_port);
      break;
    case LBC_ALIAS_F:
      v = proxyName(t, t.frontend);
      break;
    case LBC_ALIAS_FT:
      v = std::string(proxyName(t, t.frontend)) + (t.ssl ? "~" : "");
      break;
    // Before backend selection HAProxy's stream backend is the frontend itself.
    case LBC_ALIAS_B:
      v = proxyName(t, t.backend >= 0 ? t.backend : static_cast<int64_t>(t.frontend));
      break;
    case LBC_ALIAS_HM:
      v = t.method;
      break;
    case LBC_ALIAS_HU:
      v = t.uri;
      break;
    case LBC_ALIAS_HP:
      v = uriPath(t.uri);
      break;
    case LBC_ALIAS_HQ: {
      size_t q = t.uri.find('?');
      v = q == std::string_view::npos ? std::string() : std::string(t.uri.substr(q));
      break;
    }
    case LBC_ALIAS_HV:
      v = t.version;
      break;
    case LBC_ALIAS_R:
      v = std::string(t.method) + " " + std::string(t.uri) + " " + std::string(t.version);
      break;
    case LBC_ALIAS_ST:
      v = t.has_response ? std::to_string(t.status) : "-";
      break;
    default:
      v = "-";
      break;
  }
  append(t.lf, v, flags);
}

int32_t lbc_lf_end(lbc_txn* txn, lbc_smp* out) {
  Txn& t = T(txn);
  bool ok = false;
  std::string_view v = t.arena.copy(t.lf, &ok);
  t.lf.clear();
  if (!ok) {
    setNone(out);
    return 0;
  }
  setStr(out, v);
  return 1;
}

}  // extern "C"
