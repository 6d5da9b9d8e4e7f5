#include "gen.h"

#include <arpa/inet.h>

#include <cstring>

namespace lbc::exec {

namespace {

const std::vector<std::string> kPaths = {"/",         "/user",    "/user/1", "/static/a.png",
                                         "/api/v1/x", "/profile", "/a/b/c",  "/img.jpg",
                                         "/UsEr",     "/static/", "/x.y.z"};
const std::vector<std::string> kHosts = {"api.example.com", "API.EXAMPLE.COM",    "www.example.com",
                                         "example.com",     "static.example.org", "api.example.com:8080"};
const std::vector<std::string> kWords = {"a",    "b",  "x",      "api", "user",
                                         "gzip", "a1", "static", "1",   "example"};

// HAProxy's predefined ACLs (manual 7.4) that an HTTP request can make true or false.
const std::vector<std::string> kPredefined = {"HTTP",         "HTTP_1.0",       "HTTP_1.1",     "HTTP_2.0",
                                              "HTTP_URL_ABS", "HTTP_URL_SLASH", "HTTP_CONTENT", "LOCALHOST",
                                              "METH_GET",     "METH_POST",      "METH_HEAD",    "FALSE"};

std::string pathPat(Rng& r) {
  return r.chance(70) ? r.pick(kPaths) : "/" + r.pick(kWords);
}

// One ACL criterion with flags and patterns, valid in http-request and use_backend.
std::string criterion(Rng& r, bool l4_only) {
  auto word = [&] { return r.pick(kWords); };
  auto ints = [&] {
    static const std::vector<std::string> ops = {"", "eq ", "ge ", "gt ", "le ", "lt "};
    std::string o = r.pick(ops);
    if (o.empty() && r.chance(30)) return std::to_string(r.below(5)) + ":" + std::to_string(r.below(10));
    return o + std::to_string(r.below(10));
  };
  auto nets = [&] {
    static const std::vector<std::string> n = {"127.0.0.1",   "10.0.0.0/8",         "192.168.1.0/24",
                                               "::1",         "2001:db8::/32",      "0.0.0.0/0",
                                               "10.1.2.3/32", "::ffff:10.0.0.0/104"};
    return r.pick(n);
  };
  if (l4_only) {
    switch (r.below(4)) {
      case 0:
        return "src " + nets() + (r.chance(50) ? " " + nets() : "");
      case 1:
        return "src_port " + ints();
      case 2:
        return "dst_port " + std::string(r.chance(50) ? "80" : "443");
      default:
        return "always_true";
    }
  }
  switch (r.below(44)) {
    case 0:
      return "path_beg " + pathPat(r) + (r.chance(50) ? " " + pathPat(r) : "");
    case 1:
      return "path_end " + std::string(r.chance(50) ? ".png .jpg" : "/1");
    case 2:
      return "path_sub " + word();
    case 3:
      return "path_dir " + word();
    case 4:
      return "path_reg ^/(user|api)/";
    case 5:
      return "path " + pathPat(r);
    case 6:
      return "path -i " + pathPat(r);
    case 7:
      return "path_len " + ints();
    case 8:
      return "url_beg " + pathPat(r);
    case 9:
      return "url_sub ?id=";
    case 10:
      return "base_beg " + r.pick(kHosts);
    case 11:
      return "hdr(host) -i " + r.pick(kHosts);
    case 12:
      return "hdr_beg(host) " + std::string(r.chance(50) ? "api." : "-i API.");
    case 13:
      return "hdr_dom(host) " + std::string(r.chance(50) ? "example" : "example.com");
    case 14:
      return "hdr_end(host) -i .com";
    case 15:
      return "hdr_cnt(x-a) " + ints();
    case 16:
      return "hdr_ip(x-forwarded-for) " + nets();
    case 17:
      return "src " + nets();
    case 18:
      return "src_port " + ints();
    case 19:
      return "ssl_fc";
    case 20:
      return "method " + std::string(r.chance(50) ? "POST" : "GET HEAD");
    case 21:
      return "method -i post";
    case 22:
      return "query -m found";
    case 23:
      return "url_param(id) " + std::string(r.chance(50) ? "1" : "abc");
    case 24:
      return "cook(sid) " + std::string(r.chance(50) ? "1" : "-m found");
    case 25:
      return "req.fhdr(x-a) -m sub " + word();
    case 26:
      return "hdr(x-a) -m str " + word();
    case 27:
      return "var(txn.v) -m beg /";
    case 28:
      return "hdr(x-a),upper -m beg A";
    case 29:
      return "path,word(1,/) " + word();
    case 30:
      return "path,field(2,/) " + word();
    case 31:
      return "path,length " + ints();
    case 32:
      return "hdr(host),lower,regsub(\\.,-,g) -m end -- -com";
    case 34:
      return "path,length,mul(3),add(-4),sub(txn.n),div(2),mod(5) " + ints();
    case 35:
      return "hdr_cnt(x-a),neg,cpl,and(6),or(1),xor(3) " + ints();
    case 36:
      return "path,length,even";
    case 37:
      return "hdr(x-a),hex2i,odd,not -m bool";
    case 38:
      return "path,crc32,mod(7) " + ints();
    case 39:
      return "hdr(host),sdbm(1),djb2,wt6,crc32c -m found";
    case 40:
      return "path,ltrim(/),rtrim(/) " + word();
    case 41:
      return "hdr(x-a),ub64enc,ub64dec,b64dec -m found";
    case 42:
      return "src_port,add(txn.n),bool,iif(a,b) a";
    default:
      return "path,bytes(1,3),hex -m str 757365";
  }
}

struct Ctx {
  Rng& r;
  std::string out;
  int nacl = 0;
};

std::string condition(Ctx& c, bool l4_only) {
  std::string s = c.r.chance(70) ? "if" : "unless";
  unsigned alts = 1 + static_cast<unsigned>(c.r.below(3));
  for (unsigned a = 0; a < alts; ++a) {
    if (a) s += c.r.chance(50) ? " or" : " ||";
    unsigned refs = 1 + static_cast<unsigned>(c.r.below(3));
    for (unsigned i = 0; i < refs; ++i) {
      s += c.r.chance(25) ? " !" : " ";
      if (!l4_only && c.nacl && c.r.chance(60))
        s += "a" + std::to_string(c.r.below(c.nacl));
      else if (l4_only && c.r.chance(30))
        s += "TRUE";
      else if (!l4_only && c.r.chance(15))
        s += c.r.pick(kPredefined);
      else
        s += "{ " + criterion(c.r, l4_only) + " }";
    }
  }
  return s;
}

std::string httpReqAction(Rng& r) {
  switch (r.below(33)) {
    case 0:
      return "set-header X-N %[path]";
    case 1:
      return "add-header X-M \"h=%[hdr(host)] s=%[src]\"";
    case 2:
      return "del-header x-a";
    case 3:
      return "del-header X- -m beg";
    case 4:
      return "replace-header host (.*)\\.example\\.com \\1.test";
    case 5:
      return "replace-value x-a ^a(.*) b\\1";
    case 6:
      return "set-path /new%[path]";
    case 7:
      return "set-uri /u%[url]";
    case 8:
      return "set-query q=%[query]";
    case 9:
      return "set-var(txn.v) path";
    case 10:
      return "redirect location /moved code " + std::string(r.chance(50) ? "302" : "301");
    case 11:
      return "redirect prefix /p" + std::string(r.chance(50) ? " drop-query" : "");
    case 12:
      return "redirect scheme https" + std::string(r.chance(50) ? " code 308" : "");
    case 13:
      return "deny" + std::string(r.chance(50) ? " deny_status 429" : "");
    case 14:
      return "return status 200 content-type text/plain string ok hdr X-R %[method]";
    case 15:
      return "allow";
    case 16:
      return "track-sc0 src";
    case 17:
      return "set-var(txn.n) hdr_cnt(x-a)";
    case 18:
      return "set-var(req.h) hdr(host),lower";
    case 19:
      return "set-header X-V %[var(txn.v)] ";
    case 20:
      return "add-header X-F %{+Q}[url_param(id)]-%ci";
    case 21:
      return "set-header X-C %[path,length,htonl,hex]-%[src_port,http_date(3600)]-%[path,concat(<,txn.v,>)]";
    case 22:
      return "set-header X-D %[hdr_val(x-be),utime(%Y%m%d),bool,iif(y,n)]-%[req.ver]-%[req.proto_http]";
    case 23:
      return "set-header X-E %[path,secure_memcmp(txn.v)]-%[src_port,ltime(%H,60)]";
    case 24:
      return "set-var(txn.n) hdr_cnt(x-a),add(1)";
    case 26:
      return "replace-path ^/(.*)$ /rp/\\1";
    case 27:
      return "replace-pathq ^/([^?]*)\\?(.*)$ /pq/\\2/\\1";
    case 28:
      return "replace-uri ^(.*)$ \\1x";
    case 29:
      return "set-method PUT";
    case 30:
      return "set-pathq /spq%[path]?a=%[pathq,length]";
    case 31:
      return "auth realm R";
    case 32:
      return "set-header X-G "
             "%[hdr(host),host_only]-%[hdr(host),port_only]-%[path,strcmp(txn.v)]-%[path,cut_crlf]";
    default:
      return "set-var(txn.v) str";  // rewritten below: a var from the query
  }
}

std::string httpResAction(Rng& r) {
  switch (r.below(6)) {
    case 0:
      return "set-status 201";
    case 1:
      return "set-header X-S %[status]";
    case 2:
      return "del-header x-r";
    case 3:
      return "deny";
    case 4:
      return "allow";
    default:
      return "add-header X-B %b";
  }
}

// http-after-response takes no final action but allow.
std::string httpAfterResAction(Rng& r) {
  switch (r.below(5)) {
    case 0:
      return "set-status 299";
    case 1:
      return "set-header X-A %[status]";
    case 2:
      return "del-header x-r";
    case 3:
      return "allow";
    default:
      return "replace-header x-r (.*) a-\\1";
  }
}

std::string tcpResAction(Rng& r) {
  switch (r.below(3)) {
    case 0:
      return "reject if { res.hdr(x-r) -m found } { status 500 }";
    case 1:
      return "accept if { status 404 }";
    default:
      return "set-var(txn.t) status";
  }
}

}  // namespace

std::string genConfig(Rng& r) {
  Ctx c{r, {}, 0};
  std::string& o = c.out;
  o += "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n";
  o += "frontend fe\n  bind :80\n  stick-table type ip size 1k\n";
  c.nacl = static_cast<int>(1 + r.below(5));
  for (int i = 0; i < c.nacl; ++i) {
    unsigned lines = 1 + static_cast<unsigned>(r.below(2));  // several lines = OR'ed terms
    for (unsigned k = 0; k < lines; ++k)
      o += "  acl a" + std::to_string(i) + " " + criterion(r, false) + "\n";
  }
  if (r.chance(30))
    o += "  tcp-request connection " + std::string(r.chance(80) ? "accept" : "reject") + " " +
         condition(c, true) + "\n";
  if (r.chance(30)) {
    o += "  tcp-request inspect-delay 5s\n";
    o += "  tcp-request content " + std::string(r.chance(70) ? "accept" : "reject") + " if { req.len " +
         std::string(r.chance(50) ? "gt 3" : "lt 2") + " } " +
         (r.chance(50) ? "{ req.payload(0,3) -m bin 474554 }" : "") + "\n";
  }
  unsigned nrules = static_cast<unsigned>(r.below(6));
  for (unsigned i = 0; i < nrules; ++i) {
    std::string a = httpReqAction(r);
    if (a == "set-var(txn.v) str") a = "set-var(txn.v) url_param(id)";
    o += "  http-request " + a + (r.chance(70) ? " " + condition(c, false) : "") + "\n";
  }
  unsigned nub = static_cast<unsigned>(r.below(4));
  for (unsigned i = 0; i < nub; ++i)
    o += "  use_backend be" + std::to_string(r.below(4)) + " " + condition(c, false) + "\n";
  if (r.chance(15)) o += "  use_backend be%[hdr(x-be)] if { hdr(x-be) -m found }\n";
  if (r.chance(80)) o += "  default_backend be" + std::to_string(r.below(4)) + "\n";
  if (r.chance(40))
    o += "  http-response " + httpResAction(r) + " " + (r.chance(50) ? "if { status 404 }" : "") + "\n";
  if (r.chance(40))
    o += "  http-after-response " + httpAfterResAction(r) + " " + (r.chance(50) ? "if { status 404 }" : "") +
         "\n";
  for (int b = 0; b < 4; ++b) {
    o += "backend be" + std::to_string(b) + "\n  server s1 127.0.0.1:" + std::to_string(9000 + b) + "\n";
    c.nacl = 0;
    if (r.chance(30)) o += "  http-request " + httpReqAction(r) + " if { path_beg /a }\n";
    if (o.find("track-sc0", o.rfind("backend be")) != std::string::npos)
      o += "  stick-table type ip size 1k\n";
    if (r.chance(20)) o += "  http-response " + httpResAction(r) + "\n";
    if (r.chance(20)) o += "  http-after-response " + httpAfterResAction(r) + "\n";
    if (r.chance(15)) o += "  tcp-response content " + tcpResAction(r) + "\n";
  }
  // `set-var(txn.v) str` has no argument: keep every generated rule valid.
  for (size_t p; (p = o.find("set-var(txn.v) str\n")) != std::string::npos ||
                 (p = o.find("set-var(txn.v) str ")) != std::string::npos;)
    o.replace(p, 18, "set-var(txn.v) url_param(id)");
  return o;
}

void genTxn(Rng& r, rt::Txn& t) {
  auto cp = [&](const std::string& s) { return t.arena.copy(s); };
  static const std::vector<std::string> methods = {"GET", "POST", "HEAD", "PUT", "DELETE", "get"};
  static const std::vector<std::string> queries = {"",          "",           "?id=1", "?id=abc&x=2",
                                                   "?q=%41b+c", "?id=1&id=2", "?"};
  t.http = true;
  t.method = cp(r.pick(methods));
  std::string uri = r.pick(kPaths) + r.pick(queries);
  if (r.chance(10)) uri = "http://" + r.pick(kHosts) + uri;
  t.uri = cp(uri);
  unsigned nh = static_cast<unsigned>(r.below(3));
  for (unsigned i = 0; i < nh; ++i)
    t.req_headers.push_back({cp(r.chance(50) ? "Host" : "host"), cp(r.pick(kHosts))});
  static const std::vector<std::string> xa = {"a1, a2", "b", "x", "a", "\"a,b\", c", "A1"};
  unsigned nx = static_cast<unsigned>(r.below(4));
  for (unsigned i = 0; i < nx; ++i) t.req_headers.push_back({cp("X-A"), cp(r.pick(xa))});
  static const std::vector<std::string> xff = {"10.1.2.3", "192.168.1.7, 127.0.0.1", "::1", "junk",
                                               "2001:db8::5"};
  if (r.chance(40)) t.req_headers.push_back({cp("X-Forwarded-For"), cp(r.pick(xff))});
  if (r.chance(30)) t.req_headers.push_back({cp("Cookie"), cp(r.chance(50) ? "sid=1; a=2" : "a=1;sid=zz")});
  if (r.chance(20)) t.req_headers.push_back({cp("X-Be"), cp(std::to_string(r.below(6)))});
  if (r.chance(20)) t.req_headers.push_back({cp("X-R"), cp("r")});
  static const std::vector<std::string> srcs = {"127.0.0.1", "10.1.2.3",    "192.168.1.9",
                                                "::1",       "2001:db8::7", "8.8.8.8"};
  std::string s = r.pick(srcs);
  t.src_v6 = s.find(':') != std::string::npos;
  inet_pton(t.src_v6 ? AF_INET6 : AF_INET, s.c_str(), t.src);
  t.src_port = static_cast<uint16_t>(r.below(10));
  t.dst[0] = 127, t.dst[3] = 1;
  t.dst_port = r.chance(50) ? 80 : 443;
  t.ssl = r.chance(40);
  static const std::vector<std::string> versions = {"HTTP/1.1", "HTTP/1.0", "HTTP/2.0"};
  t.version = cp(r.pick(versions));
  std::string raw = std::string(t.method) + " " + uri + " HTTP/1.1\r\n";
  t.req_payload = cp(raw.substr(0, r.chance(80) ? raw.size() : r.below(4)));
  t.more_data = r.chance(20);
  if (r.chance(60)) {
    t.has_response = true;
    static const std::vector<int> st = {200, 404, 500};
    t.status = r.pick(st);
    t.res_headers.push_back({cp("X-R"), cp("1")});
  }
}

std::string describeTxn(const rt::Txn& t) {
  std::string s = std::string(t.method) + " " + std::string(t.uri) + " " + std::string(t.version) + "\n";
  for (const rt::Header& h : t.req_headers)
    s += "  " + std::string(h.name) + ": " + std::string(h.value) + "\n";
  char ip[64];
  inet_ntop(t.src_v6 ? AF_INET6 : AF_INET, t.src, ip, sizeof ip);
  s += "  src " + std::string(ip) + ":" + std::to_string(t.src_port) + " dst_port " +
       std::to_string(t.dst_port) + (t.ssl ? " ssl" : "") + (t.more_data ? " more-data" : "") + " payload " +
       std::to_string(t.req_payload.size()) + " bytes\n";
  if (t.has_response) s += "  response " + std::to_string(t.status) + "\n";
  return s;
}

}  // namespace lbc::exec
