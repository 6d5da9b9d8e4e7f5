// `userlist` sections (user, group), the fetches that check against them (http_auth,
// http_auth_group) and the `auth` action's 401 page.
#include <crypt.h>

#include <algorithm>
#include <set>

#include "sema/context.h"

namespace lbc::sema {

using stdlib::DirectiveId;

namespace {

std::vector<std::string> splitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

ir::UserList* findUserList(ir::Program& p, std::string_view name) {
  for (auto& u : p.userlists)
    if (u.name == name) return &u;
  return nullptr;
}

// What the runtime needs of a userlist, as the fetch's second argument (prepared once into a
// table by lbc_rt_args_prepare): one line per user, "name\tI|C\tpassword\tgroup,group".
std::string serialize(const ir::UserList& ul) {
  std::string s;
  for (const auto& u : ul.users) {
    if (!u.has_password) continue;  // HAProxy: a user without a password never authenticates
    s += u.name + '\t' + (u.insecure ? 'I' : 'C') + '\t' + u.password + '\t';
    for (size_t i = 0; i < u.groups.size(); ++i) s += (i ? "," : "") + u.groups[i];
    s += '\n';
  }
  return s;
}

// HAProxy 2.6's 401 answer to `http-request auth` (http_reply_40x_unauthorized).
std::string authPage(const std::string& realm) {
  static const std::string kBody =
      "<html><body><h1>401 Unauthorized</h1>\n"
      "You need a valid user and password to access this content.\n"
      "</body></html>\n";
  return "HTTP/1.1 401 Unauthorized\r\nContent-length: " + std::to_string(kBody.size()) +
         "\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\nWWW-Authenticate: Basic realm=\"" +
         realm + "\"\r\n\r\n" + kBody;
}

}  // namespace

bool Sema::userlistHeader(const Line& l) {
  sec_ = Sec::Userlist;
  if (!needArgs(l, 1, "<name> as an argument")) {
    sec_ = Sec::Unsupported;
    return false;
  }
  for (size_t i = 2; i < l.words.size(); ++i)
    warning(l.words[i], "unexpected '" + l.words[i].text + "' after the userlist name: ignored");
  if (const ir::UserList* prev = findUserList(prog_, l.words[1].text)) {
    warning(l.words[1], "ignoring duplicated userlist '" + prev->name + "'");
    diags_.note(prev->loc, "previous definition is here");
    sec_ = Sec::Unsupported;
    return false;
  }
  prog_.userlists.push_back(ir::UserList{l.loc, l.words[1].text, {}, {}});
  return true;
}

void Sema::userlistDirective(const Line& l, const stdlib::DirectiveInfo& d) {
  ir::UserList& ul = prog_.userlists.back();
  if (!noCondition(l)) return;
  if (d.id == DirectiveId::userlist_group) {
    if (!needArgs(l, 1, "<group_name> as an argument")) return;
    for (const auto& g : ul.groups) {
      if (g.name == l.words[1].text) {
        warning(l.words[1], "ignoring duplicated group '" + g.name + "' in userlist '" + ul.name + "'");
        return;
      }
    }
    ir::UserList::Group g{l.loc, l.words[1].text, {}};
    for (size_t i = 2; i < l.words.size(); i += 2) {
      if (l.words[i].text != "users") {
        error(l.words[i], "'group' only supports the 'users' option, not '" + l.words[i].text + "'");
        return;
      }
      if (!needArgs(l, i + 1, "a comma-separated list of users after 'users'")) return;
      for (auto& u : splitCommas(l.words[i + 1].text)) g.users.push_back(std::move(u));
    }
    ul.groups.push_back(std::move(g));
    return;
  }
  // user <name> [password <hash> | insecure-password <pw>] [groups <g>,...]
  if (!needArgs(l, 1, "<user_name> as an argument")) return;
  for (const auto& u : ul.users) {
    if (u.name == l.words[1].text) {
      error(l.words[1], "userlist '" + ul.name + "': user '" + u.name + "' already exists");
      diags_.note(u.loc, "previous definition is here");
      return;
    }
  }
  ir::UserList::User u;
  u.loc = l.loc;
  u.name = l.words[1].text;
  for (size_t i = 2; i < l.words.size(); i += 2) {
    const std::string& o = l.words[i].text;
    if (o != "password" && o != "insecure-password" && o != "groups") {
      error(l.words[i],
            "'user' only supports the 'password', 'insecure-password' and 'groups' options, not '" + o + "'" +
                front::didYouMean(o, {"password", "insecure-password", "groups"}));
      return;
    }
    if (!needArgs(l, i + 1, "a value after '" + o + "'")) return;
    const std::string& v = l.words[i + 1].text;
    if (o == "groups") {
      for (auto& g : splitCommas(v)) u.groups.push_back(std::move(g));
      continue;
    }
    if (o == "password") {
      // HAProxy refuses a hash this machine's crypt(3) cannot verify.
      struct crypt_data cd {};
      const char* r = crypt_r("", v.c_str(), &cd);
      if (!r || r[0] == '*') {
        error(l.words[i + 1], "unsupported crypt algorithm for the password of user '" + u.name +
                                  "' in userlist '" + ul.name + "'");
        return;
      }
    }
    u.password = v;
    u.insecure = o == "insecure-password";
    u.has_password = true;
  }
  ul.users.push_back(std::move(u));
}

// After the whole file: memberships both ways, references of http_auth/http_auth_group and the
// realm of each `auth` rule (the name of the proxy running it unless one is written).
void Sema::resolveUserLists(ir::Program& prog) {
  for (auto& ul : prog.userlists) {
    std::set<std::string> groups;
    for (const auto& g : ul.groups) groups.insert(g.name);
    for (auto& u : ul.users)
      for (const auto& g : u.groups)
        if (!groups.count(g))
          diags_.error(u.loc, "userlist '" + ul.name + "': no such group '" + g + "' specified in user '" +
                                  u.name + "'");
    for (const auto& g : ul.groups) {
      for (const auto& name : g.users) {
        auto it =
            std::find_if(ul.users.begin(), ul.users.end(), [&](const auto& u) { return u.name == name; });
        if (it == ul.users.end()) {
          diags_.error(g.loc, "userlist '" + ul.name + "': no such user '" + name + "' specified in group '" +
                                  g.name + "'");
          continue;
        }
        if (std::find(it->groups.begin(), it->groups.end(), g.name) == it->groups.end())
          it->groups.push_back(g.name);
      }
    }
  }
  auto fixSample = [&](ir::SampleExpr& e) {
    if (e.fetch != stdlib::FetchId::http_auth && e.fetch != stdlib::FetchId::http_auth_group) return;
    if (e.args.empty() || e.args.size() > 1) return;
    const ir::UserList* ul = findUserList(prog, e.args[0].str);
    if (!ul) {
      std::vector<std::string_view> names;
      for (const auto& u : prog.userlists) names.push_back(u.name);
      diags_.error(
          e.args[0].loc.valid() ? e.args[0].loc : e.loc,
          "unable to find userlist '" + e.args[0].str + "'" + front::didYouMean(e.args[0].str, names));
      return;
    }
    ir::Arg data;
    data.str = serialize(*ul);
    data.loc = e.args[0].loc;
    e.args.push_back(std::move(data));
  };
  auto fixFormat = [&](ir::LogFormat& lf) {
    for (auto& it : lf.items)
      if (it.sample) fixSample(*it.sample);
  };
  for (auto& p : prog.proxies) {
    for (auto& a : p.acls)
      for (auto& t : a.terms) fixSample(t.expr);
    for (auto& r : p.rules) {
      if (auto* h = std::get_if<ir::HeaderArgs>(&r.args)) fixFormat(h->value);
      if (auto* f = std::get_if<ir::FormatArgs>(&r.args)) fixFormat(f->value);
      if (auto* rd = std::get_if<ir::RedirectArgs>(&r.args)) fixFormat(rd->target);
      if (auto* v = std::get_if<ir::VarArgs>(&r.args)) fixSample(v->expr);
      if (auto* t = std::get_if<ir::TrackArgs>(&r.args)) fixSample(t->key);
      if (auto* ra = std::get_if<ir::ReturnArgs>(&r.args)) {
        fixFormat(ra->lf);
        for (auto& [n, lf] : ra->headers) fixFormat(lf);
        if (r.action == stdlib::ActionId::auth) ra->text = authPage(ra->realm.value_or(p.name));
      }
    }
    for (auto& u : p.use_backends)
      if (u.dynamic) fixFormat(*u.dynamic);
    for (auto& s : p.stick_rules) fixSample(s.expr);
  }
}

}  // namespace lbc::sema
