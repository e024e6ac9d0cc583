"""The two things ``mfe dev`` puts in a browser: the reload client injected into composed pages,
and the inspector page. Both speak to the broker as dts-plugin web clients."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

__all__ = ["INSPECTOR_CHANNEL", "PAGES_CHANNEL", "inspector_page", "reload_script"]

INSPECTOR_CHANNEL = "mfe:inspector"
"""The web-client name inspector pages register: a ``RELOAD_WEB_CLIENT`` for it means "fetch
the records again", so the inspector updates live over the broker's WebSocket."""

PAGES_CHANNEL = "mfe:pages"
"""The web-client name every composed page registers besides its apps: a remote that changed
may be used by any app, so its new build reloads every page."""

# A page registers ADD_WEB_CLIENT for each app it shows and reloads on RELOAD_WEB_CLIENT for one
# of them. It marks <html data-mfe-dev="connected"> once every registration is acknowledged, and
# reconnects (backing off to 5 s) when the broker goes away, as dev servers restart.
_CLIENT_JS = """
(function (cfg) {
  var delay = 250;
  function mark(state) { document.documentElement.setAttribute("data-mfe-dev", state); }
  function connect() {
    var ws, acked = 0;
    try { ws = new WebSocket(cfg.broker); } catch (e) { retry(); return; }
    ws.onopen = function () {
      delay = 250;
      cfg.apps.forEach(function (name) {
        ws.send(JSON.stringify({type: "Action", kind: "ADD_WEB_CLIENT", time: Date.now(),
                                payload: {name: name, updateMode: "POSITIVE"}}));
      });
    };
    ws.onmessage = function (event) {
      var m;
      try { m = JSON.parse(event.data); } catch (e) { return; }
      if (m.type === "Log" && m.kind === "AckLog" && m.actionKind === "ADD_WEB_CLIENT") {
        acked += 1;
        if (acked === cfg.apps.length) { mark("connected"); if (cfg.onReady) cfg.onReady(); }
      } else if (m.type === "API" && m.kind === "RELOAD_WEB_CLIENT" && m.payload &&
                 cfg.apps.indexOf(m.payload.name) >= 0) {
        if (cfg.onReload) { cfg.onReload(m.payload.name); return; }
        mark("reloading");
        location.reload();
      }
    };
    ws.onclose = function () { mark("disconnected"); retry(); };
  }
  function retry() { setTimeout(connect, delay); delay = Math.min(delay * 2, 5000); }
  connect();
})
"""


def _json_for_script(value: object) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can end or bend the element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def reload_script(broker_url: str, apps: Sequence[str]) -> str:
    """The ``<script>`` injected into a composed page in dev mode (never by ``mfe serve``)."""
    config = _json_for_script({"broker": broker_url, "apps": list(apps)})
    return f"<script data-mfe-dev-client>{_CLIENT_JS.strip()}({config});</script>"


_INSPECTOR_CSS = """
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #f8fafc; color: #1e293b; }
header { background: #0f172a; color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; }
header h1 { font-size: 1rem; margin: 0; font-weight: 600; }
header .live { margin-left: auto; font-size: .85rem; opacity: .8; }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: #475569; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e2e8f0; }
th { font-weight: 600; font-size: .8rem; color: #475569; }
td.status { font-weight: 600; }
.s-ready { color: #166534; } .s-failed, .s-timed-out { color: #b91c1c; }
.s-changed { color: #b45309; } .s-not-shown-yet { color: #64748b; }
.request { background: #fff; border: 1px solid #e2e8f0; margin-bottom: .5rem;
           padding: .4rem .6rem; }
.request .head { display: flex; gap: 1rem; font-size: .85rem; }
.request .head .path { font-weight: 600; }
.lane { display: grid; grid-template-columns: 8rem 1fr 6rem; align-items: center; gap: .5rem;
        font-size: .8rem; margin-top: .2rem; }
.track { position: relative; height: .8rem; background: #f1f5f9; }
.bar { position: absolute; top: 0; bottom: 0; background: #22c55e; min-width: 2px; }
.bar.fell-back { background: #ef4444; }
.bar.page { background: #94a3b8; }
.bar.mount { background: #2563eb; }
.h-stable { color: #166534; } .h-unstable, .h-initializing { color: #b45309; }
.h-unhealthy { color: #b91c1c; } .h-instantiated { color: #64748b; }
.empty { color: #64748b; }
code { font-size: .8rem; }
"""

_INSPECTOR_JS = """
(function () {
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function ms(v) { return v === null || v === undefined ? "–" : v.toFixed(1) + " ms"; }
  function when(t) { return t ? new Date(t * 1000).toLocaleTimeString() : "–"; }
  function slug(s) { return s.replace(/ /g, "-"); }
  function drawApps(apps) {
    var body = document.getElementById("apps-body");
    body.textContent = "";
    apps.forEach(function (a) {
      var row = el("tr", {"data-app": a.name});
      row.appendChild(el("td", {}, a.name));
      row.appendChild(el("td", {"class": "status s-" + slug(a.status)}, a.status));
      var version = el("td", {"class": "version", "title": a.version_source || ""});
      version.appendChild(el("code", {}, a.version || "–"));
      row.appendChild(version);
      row.appendChild(el("td", {"class": "health h-" + (a.health || "none")}, a.health || "–"));
      var entry = el("td"); entry.appendChild(el("code", {}, a.entry)); row.appendChild(entry);
      row.appendChild(el("td", {"class": "load"}, ms(a.last_load_ms)));
      row.appendChild(el("td", {"class": "mount"}, ms(a.last_mount_ms)));
      row.appendChild(el("td", {}, when(a.last_loaded_at)));
      row.appendChild(el("td", {}, when(a.last_shown_at)));
      row.appendChild(el("td", {"class": "changes"}, a.changes));
      body.appendChild(row);
    });
  }
  function lane(label, start, length, scale, cls, note) {
    var row = el("div", {"class": "lane", "data-lane": label});
    row.appendChild(el("span", {}, label));
    var track = el("div", {"class": "track"});
    var bar = el("div", {"class": "bar " + cls});
    bar.style.left = (100 * (start || 0) / scale) + "%";
    bar.style.width = (100 * (length || 0) / scale) + "%";
    track.appendChild(bar);
    row.appendChild(track);
    row.appendChild(el("span", {"class": "note"}, note));
    return row;
  }
  function drawRequests(requests) {
    var box = document.getElementById("requests");
    box.textContent = "";
    if (!requests.length) {
      box.appendChild(el("p", {"class": "empty"}, "No composed request yet: open a page."));
      return;
    }
    requests.forEach(function (r) {
      var card = el("div", {"class": "request", "data-path": r.path, "data-number": r.number});
      var head = el("div", {"class": "head"});
      head.appendChild(el("span", {"class": "path"}, r.path));
      head.appendChild(el("span", {}, "HTTP " + r.status));
      head.appendChild(el("span", {}, "first byte " + ms(r.ttfb_ms)));
      head.appendChild(el("span", {}, "total " + ms(r.total_ms)));
      head.appendChild(el("span", {}, when(r.started_at)));
      card.appendChild(head);
      var scale = Math.max(r.total_ms || 0, 1);
      card.appendChild(lane("page", 0, r.total_ms, scale, "page", ms(r.total_ms)));
      r.apps.forEach(function (a) {
        var note = a.fell_back ? a.status + " → fallback"
          : ms(a.load_ms) + (a.mount_ms === null || a.mount_ms === undefined
                             ? "" : " + mount " + ms(a.mount_ms));
        var row = lane(a.name, a.start_ms, a.fell_back ? scale - (a.start_ms || 0) : a.load_ms,
                       scale, a.fell_back ? "fell-back" : "ready", note);
        row.setAttribute("data-app", a.name);
        row.setAttribute("data-fell-back", a.fell_back ? "true" : "false");
        if (a.error) row.title = a.error;
        if (!a.fell_back && a.mount_ms !== null && a.mount_ms !== undefined) {
          var mount = el("div", {"class": "bar mount"});
          mount.style.left = (100 * a.mount_start_ms / scale) + "%";
          mount.style.width = (100 * a.mount_ms / scale) + "%";
          row.querySelector(".track").appendChild(mount);
        }
        card.appendChild(row);
      });
      box.appendChild(card);
    });
  }
  var loads = 0;
  function refresh() {
    fetch("inspector.json", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (data) {
        drawApps(data.apps);
        drawRequests(data.requests);
        loads += 1;
        document.body.setAttribute("data-refreshes", String(loads));
      });
  }
  window.mfeInspectorRefresh = refresh;
  refresh();
})();
"""


POLL_MS = 2000
"""How often an inspector with no broker (``mfe serve --inspect``) asks for its records."""


def _live_script(broker_url: str | None) -> str:
    if broker_url is None:
        return f"<script>setInterval(window.mfeInspectorRefresh, {POLL_MS});</script>"
    config = _json_for_script({"broker": broker_url, "apps": [INSPECTOR_CHANNEL]})
    return f"""<script>{_CLIENT_JS.strip()}(Object.assign({config}, {{
  onReload: function () {{ window.mfeInspectorRefresh(); }}
}}));</script>"""


def inspector_page(broker_url: str | None) -> str:
    """``/_mfe/inspector``: the apps table and the request waterfall, redrawn on every
    ``RELOAD_WEB_CLIENT`` for :data:`INSPECTOR_CHANNEL` (or every :data:`POLL_MS` without a
    broker)."""
    live = f"broker {broker_url}" if broker_url is not None else f"every {POLL_MS // 1000} s"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mfe inspector</title>
<style>{_INSPECTOR_CSS}</style>
</head>
<body>
<header><h1>mfe inspector</h1><span class="live" id="live">{html.escape(live)}</span>
</header>
<main>
<h2>Apps</h2>
<table id="apps">
<thead><tr><th>App</th><th>Status</th><th>Version</th><th>Health</th><th>Entry</th>
<th>Last load</th><th>Last mount</th><th>Loaded at</th><th>Last shown</th><th>Changes</th></tr>
</thead>
<tbody id="apps-body"></tbody>
</table>
<h2>Last composed requests</h2>
<div id="requests"></div>
</main>
<script>{_INSPECTOR_JS}</script>
{_live_script(broker_url)}
</body>
</html>
"""
