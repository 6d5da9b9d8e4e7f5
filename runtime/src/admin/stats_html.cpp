// The stats page's HTML, in HAProxy 2.6's layout: the process information with the legend and
// the display options, then for each proxy a title table and a table of its frontend, servers
// and backend rows (Queue, Session rate, Sessions, Bytes, Denied, Errors, Warnings, Server), the
// servers with check boxes and the action form when `stats admin` allows it. The values are
// `show stat`'s rows (admin/stat_rows.h).
#include <unistd.h>

#include <ctime>

#include "admin/stat_rows.h"
#include "admin/stats_page.h"

namespace lbc::rt {
namespace {

constexpr const char* kStyle = R"(<style type="text/css"><!--
body { font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal; color: black; background: white;}
th,td { font-size: 10px;}
h1 { font-size: x-large; margin-bottom: 0.5em;}
h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em;}
h3 { font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040; background: #e8e8d0; margin-top: 0em; margin-bottom: 0em;}
li { margin-top: 0.25em; margin-right: 2em;}
.hr {margin-top: 0.25em; border-color: black; border-bottom-style: solid;}
.titre	{background: #20D0D0;color: #000000; font-weight: bold; text-align: center;}
.total	{background: #20D0D0;color: #ffff80;}
.frontend	{background: #e8e8d0;}
.socket	{background: #d0d0d0;}
.backend	{background: #e8e8d0;}
.active_down		{background: #ff9090;}
.active_going_up		{background: #ffd020;}
.active_going_down	{background: #ffffa0;}
.active_up		{background: #c0ffc0;}
.active_nolb		{background: #20a0ff;}
.active_draining		{background: #20a0FF;}
.active_no_check		{background: #e0e0e0;}
.backup_down		{background: #ff9090;}
.backup_going_up		{background: #ff80ff;}
.backup_going_down	{background: #c060ff;}
.backup_up		{background: #b0d0ff;}
.backup_nolb		{background: #90b0e0;}
.backup_draining		{background: #cc9900;}
.backup_no_check		{background: #e0e0e0;}
.maintain	{background: #c07820;}
.rls      {letter-spacing: 0.2em; margin-right: 1px;}

a.px:link {color: #ffff40; text-decoration: none;}a.px:visited {color: #ffff40; text-decoration: none;}a.px:hover {color: #ffffff; text-decoration: none;}a.lfsb:link {color: #000000; text-decoration: none;}a.lfsb:visited {color: #000000; text-decoration: none;}a.lfsb:hover {color: #505050; text-decoration: none;}
table.tbl { border-collapse: collapse; border-style: none;}
table.tbl td { text-align: right; border-width: 1px 1px 1px 1px; border-style: solid solid solid solid; padding: 2px 3px; border-color: gray; white-space: nowrap;}
table.tbl td.ac { text-align: center;}
table.tbl th { border-width: 1px; border-style: solid solid solid solid; border-color: gray;}
table.tbl th.pxname { background: #b00040; color: #ffff40; font-weight: bold; border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap;}
table.tbl th.empty { border-style: none; empty-cells: hide; background: white;}
table.tbl th.desc { background: white; border-style: solid solid none solid; text-align: left; padding: 2px 3px;}
table.lgd { border-collapse: collapse; border-width: 1px; border-style: none none none solid; border-color: black;}
table.lgd td { border-width: 1px; border-style: solid solid solid solid; border-color: gray; padding: 2px;}
table.lgd td.noborder { border-style: none; padding: 2px; white-space: nowrap;}
table.det { border-collapse: collapse; border-style: none;}
table.det th { text-align: left; border-width: 0px; padding: 0px 1px 0px 0px; font-style:normal;font-size:11px;font-weight:bold;font-family: sans-serif;}
table.det td { text-align: right; border-width: 0px; padding: 0px 0px 0px 4px; white-space: nowrap; font-style:normal;font-size:11px;font-weight:normal;}
u {text-decoration:none; border-bottom: 1px dotted black;}
div.tips {
 display:block;
 visibility:hidden;
 z-index:2147483647;
 position:absolute;
 padding:2px 4px 3px;
 background:#f0f060; color:#000000;
 border:1px solid #7040c0;
 white-space:nowrap;
 font-style:normal;font-size:11px;font-weight:normal;
 -moz-border-radius:3px;-webkit-border-radius:3px;border-radius:3px;
 -moz-box-shadow:gray 2px 2px 3px;-webkit-box-shadow:gray 2px 2px 3px;box-shadow:gray 2px 2px 3px;
}
u:hover div.tips {visibility:visible;}
-->
</style>)";

constexpr const char* kLegend =
    R"(<table class="lgd"><tr>
<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>
<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>
<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>
<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>
<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>
<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>
Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.)";

constexpr const char* kColumnHeads =
    R"(<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>
<tr class="titre"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>
)";

constexpr const char* kActions =
    R"(Choose the action to perform on the checked servers : <select name=action><option value=""></option><option value="ready">Set state to READY</option><option value="drain">Set state to DRAIN</option><option value="maint">Set state to MAINT</option><option value="dhlth">Health: disable checks</option><option value="ehlth">Health: enable checks</option><option value="hrunn">Health: force UP</option><option value="hnolb">Health: force NOLB</option><option value="hdown">Health: force DOWN</option><option value="dagent">Agent: disable checks</option><option value="eagent">Agent: enable checks</option><option value="arunn">Agent: force UP</option><option value="adown">Agent: force DOWN</option><option value="shutdown">Kill Sessions</option></select>)";

std::string html(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

// HAProxy's human_time: the largest two units.
std::string humanTime(uint64_t s) {
  char b[32];
  if (s < 60)
    snprintf(b, sizeof b, "%llus", (unsigned long long)s);
  else if (s < 3600)
    snprintf(b, sizeof b, "%llum%llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
  else if (s < 86400)
    snprintf(b, sizeof b, "%lluh%llum", (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60));
  else
    snprintf(b, sizeof b, "%llud%lluh", (unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24));
  return b;
}

std::string td(std::string_view v, bool center = false) {
  return std::string(center ? "<td class=ac>" : "<td>") + html(v) + "</td>";
}

// The CSS class of a server row, as HAProxy's stats_dump_sv_stats colours it.
const char* serverClass(const StatRow& r) {
  const bool backup = r["bck"] == "1";
  const std::string& st = r["status"];
  if (st == "MAINT") return "maintain";
  if (st == "DRAIN") return backup ? "backup_draining" : "active_draining";
  if (st == "no check") return backup ? "backup_no_check" : "active_no_check";
  if (st == "UP") return backup ? "backup_up" : "active_up";
  return backup ? "backup_down" : "active_down";
}

// The 29 cells after the name, from the row's CSV columns.
std::string cells(const StatRow& r) {
  const bool fe = r.kind == 'F', sv = r.kind == 'S';
  std::string o;
  if (fe)
    o += "<td colspan=3></td>";
  else
    o += td(r["qcur"]) + td(r["qmax"]) + td(sv ? (r["qlimit"].empty() ? "-" : r["qlimit"]) : "");
  o += td(r["rate"]) + td(r["rate_max"]) + td(fe ? (r["rate_lim"].empty() ? "-" : r["rate_lim"]) : "");
  o += td(r["scur"]) + td(r["smax"]) + td(sv ? (r["slim"].empty() ? "-" : r["slim"]) : r["slim"]);
  o += td(r["stot"]) + td(fe ? "" : r["lbtot"]);
  const std::string& last = r["lastsess"];
  o += td(fe ? "" : last == "-1" ? "?" : humanTime(std::stoull(last.empty() ? "0" : last)));
  o += td(r["bin"]) + td(r["bout"]);
  o += td(sv ? "" : r["dreq"]) + td(r["dresp"]);
  o += td(fe ? r["ereq"] : "") + td(r["econ"]) + td(r["eresp"]);
  o += td(r["wretr"]) + td(r["wredis"]);
  const std::string& st = r["status"];
  if (fe) {
    o += td(st, true) +
         "<td class=ac>&nbsp;</td><td class=ac></td><td class=ac></td><td class=ac></td>"
         "<td class=ac></td><td class=ac></td><td></td><td></td>";
    return o;
  }
  const uint64_t lastchg = r["lastchg"].empty() ? 0 : std::stoull(r["lastchg"]);
  if (sv && st == "no check")
    o += "<td class=ac><i>no check</i></td><td></td>";
  else
    o += td(humanTime(lastchg) + " " + st, true) +
         (r["check_status"].empty()
              ? "<td class=ac>&nbsp;</td>"
              : td(r["check_status"] + (r["check_code"].empty() ? "" : "/" + r["check_code"]) + " in " +
                       r["check_duration"] + "ms",
                   true));
  o += td(r["weight"] + "/" + r["uweight"], true);
  if (sv) {
    o += td(r["act"] == "1" ? "Y" : "-", true) + td(r["bck"] == "1" ? "Y" : "-", true);
    if (r["chkfail"].empty())
      o += "<td colspan=3></td>";
    else
      o += td(r["chkfail"]) + td(r["chkdown"]) +
           td(humanTime(std::stoull(r["downtime"].empty() ? "0" : r["downtime"])));
    o += td("-", true);
  } else {
    o += td(r["act"], true) + td(r["bck"], true) + "<td class=ac>&nbsp;</td>" + td(r["chkdown"]) +
         td(humanTime(std::stoull(r["downtime"].empty() ? "0" : r["downtime"]))) + "<td></td>";
  }
  return o;
}

std::string rowHtml(const StatRow& r, const std::string& px, bool admin) {
  const char* cls = r.kind == 'F' ? "frontend" : r.kind == 'B' ? "backend" : serverClass(r);
  const std::string name = r.kind == 'F' ? "Frontend" : r.kind == 'B' ? "Backend" : r["svname"];
  std::string o = std::string("<tr class=\"") + cls + "\">";
  if (r.kind == 'S' && admin)
    o += "<td><input class='" + html(px) + "-checkbox' type=\"checkbox\" name=\"s\" value=\"" + html(name) +
         "\"></td>";
  else
    o += "<td></td>";
  o += "<td class=ac><a name=\"" + html(px) + "/" + html(name) + "\"></a><a class=lfsb href=\"#" + html(px) +
       "/" + html(name) + "\">" + html(name) + "</a></td>";
  return o + cells(r) + "</tr>\n";
}

const char* statusText(const std::string& st) {
  if (st == "DONE") return "Action processed successfully.";
  if (st == "PART") return "Action partially processed.";
  if (st == "NONE") return "Nothing has changed.";
  if (st == "ERRP") return "Action not processed because of invalid parameters.";
  if (st == "EXCD") return "Action not processed : the buffer couldn't store all the data.";
  if (st == "DENY") return "Action denied.";
  if (st == "IVAL") return "Invalid requests (unsupported method or chunked encoded request).";
  return "Unexpected result.";
}

void processInfo(std::string& o, const CliContext& ctx, const ProxySpec& page, const StatsView& view) {
  const StatsPageSpec& sp = page.stats;
  const uint64_t up = uint64_t(time(nullptr)) - statsStartTime();
  char hostname[256] = "";
  gethostname(hostname, sizeof hostname - 1);
  o += "<body><h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy";
  if (!sp.hide_version) o += std::string(" version ") + cliVersion();
  o += "</a></h1>\n<h2>Statistics Report for pid " + std::to_string(getpid());
  if (sp.show_node) o += " on " + html(sp.node.empty() ? hostname : sp.node);
  if (sp.show_desc) o += ": " + html(sp.desc);
  o += "</h2>\n";
  char upt[64];
  snprintf(upt, sizeof upt, "%llud %lluh%02llum%02llus", (unsigned long long)(up / 86400),
           (unsigned long long)(up / 3600 % 24), (unsigned long long)(up / 60 % 60),
           (unsigned long long)(up % 60));
  o += "<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n"
       "<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n<p><b>pid = </b> " +
       std::to_string(getpid()) +
       " (process #1, nbproc = 1, nbthread = " + std::to_string(std::max<uint32_t>(1, ctx.global->nbthread)) +
       ")<br>\n<b>uptime = </b> " + upt + "<br>\n<b>maxconn = </b> " + std::to_string(ctx.global->maxconn) +
       "<br>\n</td><td align=\"center\" nowrap>\n";
  o += kLegend;
  const std::string& u = sp.uri;
  o += "</td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul "
       "style=\"margin-top: "
       "0.25em;\">";
  o += "<li><a href=\"" + html(u) + (view.up ? "" : ";up") + "\">" +
       (view.up ? "Show all servers" : "Hide 'DOWN' servers") + "</a><br>\n";
  if (sp.refresh_s)
    o += "<li><a href=\"" + html(u) + (view.norefresh ? "" : ";norefresh") + "\">" +
         (view.norefresh ? "Enable refresh" : "Disable refresh") + "</a><br>\n";
  o += "<li><a href=\"" + html(u) + "\">Refresh now</a><br>\n";
  o += "<li><a href=\"" + html(u) + ";csv;norefresh\">CSV export</a><br>\n";
  o += "<li><a href=\"" + html(u) + ";json;norefresh\">JSON export</a><br>\n</ul></td></tr></table>\n";
  if (!view.status.empty()) {
    const bool ok = view.status == "DONE" || view.status == "NONE";
    o += std::string("<p><div class=") + (ok ? "active_up" : "active_down") + "><a class=lfsb href=\"" +
         html(u) + "\" title=\"Remove this message\">[X]</a> " + statusText(view.status) + "</div>\n";
  }
}

}  // namespace

std::string statsHtml(const CliContext& ctx, const ProxySpec& page, const StatsView& view) {
  std::string o =
      "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 "
      "Transitional//EN\"\n\"http://www.w3.org/TR/html4/loose.dtd\">\n"
      "<html><head><title>Statistics Report for HAProxy";
  if (page.stats.show_node) {
    char hostname[256] = "";
    gethostname(hostname, sizeof hostname - 1);
    o += " on " + html(page.stats.node.empty() ? hostname : page.stats.node);
  }
  o += "</title>\n<link rel=\"icon\" href=\"data:,\">\n"
       "<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n";
  o += kStyle;
  o += "</head>\n";
  processInfo(o, ctx, page, view);
  const std::vector<StatRow> rows = statRows(ctx);
  for (size_t i = 0; i < rows.size();) {
    const size_t p = rows[i].proxy;
    const std::string& px = ctx.gen->topo.proxies[p].name;
    // HAProxy offers the form for a backend with servers only.
    const bool form =
        view.admin && ctx.gen->topo.proxies[p].backend && !ctx.gen->topo.proxies[p].servers.empty();
    if (form) o += "<form method=\"post\">";
    o += "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a "
         "name=\"" +
         html(px) + "\"></a><a class=px href=\"#" + html(px) + "\">" + html(px) +
         "</a></th><th class=\"empty\" width=\"90%\"></th></tr>\n</table>\n<table class=\"tbl\" "
         "width=\"100%\">\n"
         "<tr class=\"titre\"><th rowspan=2" +
         (form ? " width=1><input type=\"checkbox\" onclick=\"for(c in document.getElementsByClassName('" +
                     html(px) + "-checkbox')) document.getElementsByClassName('" + html(px) +
                     "-checkbox').item(c).checked = this.checked\"></th>"
               : "></th>") +
         "<th rowspan=2></th>" + kColumnHeads;
    for (; i < rows.size() && rows[i].proxy == p; ++i) {
      const StatRow& r = rows[i];
      if (r.kind == 'S' && view.up && r["status"] != "UP" && r["status"] != "no check") continue;
      if (r.kind == 'S' && view.no_maint && r["status"] == "MAINT") continue;
      o += rowHtml(r, px, view.admin);
    }
    o += "</table>";
    if (form)
      o += std::string(kActions) + "<input type=\"hidden\" name=\"b\" value=\"#" +
           std::to_string(rows[i - 1].iid) + "\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>";
    o += "<p>\n";
  }
  o += "</body></html>\n";
  return o;
}

}  // namespace lbc::rt
