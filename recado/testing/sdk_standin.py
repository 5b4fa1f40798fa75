"""A stand-in for Meta's JS SDK and its Embedded Signup popup, served by the Graph double.

The connection page loads ``/sdk.js`` from here (``whatsapp.sdk_url``) and accepts message
events from this origin (``whatsapp.signup_origin``), so the page's own code, origin check
included, is what runs in the browser tests. ``FB.login`` opens ``/dialog/embedded_signup``
in a popup, which plays the scripted ``Popup``: Meta's message events (as JSON strings, with
some noise Meta's frames also post and a forged finish from another origin the page must
ignore) and the code, in the scripted order, then closes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import h11
import trio

from recado.testing.h11_server import respond
from recado.testing.signup_double import COEXISTENCE, NEW_NUMBER, Account, SignupGraph

# What the popup can end in (the issue's "Done when" list).
KINDS = ("finish", "coexistence", "cancel", "error", "late")


@dataclass
class Popup:
    kind: str = "finish"
    account: Account | None = None
    current_step: str = "PHONE_NUMBER_SETUP"
    error_message: str = "Não foi possível verificar o número. Tente de novo mais tarde."
    error_code: str = "524126"
    code_first: bool = False
    forged: bool = True


@dataclass
class SdkStandIn:
    signup: SignupGraph
    popup: Popup = field(default_factory=Popup)
    # The FB.login options each popup was opened with (app id, config id, extras).
    logins: list[dict[str, Any]] = field(default_factory=list)

    def page(self, target: str, host: str) -> tuple[str, bytes] | None:
        """(content type, body) for the stand-in's paths, else None."""
        path, _, query = target.partition("?")
        origin = f"http://{host}"
        if path == "/sdk.js":
            return "text/javascript; charset=utf-8", _SDK.replace("__ORIGIN__", origin).encode()
        if path == "/dialog/embedded_signup":
            params = {k: v[0] for k, v in parse_qs(query).items()}
            self.logins.append(params)
            steps = self._steps(host)
            html = _DIALOG.replace("__STEPS__", json.dumps(steps)).replace("__HOST__", host)
            return "text/html; charset=utf-8", html.encode()
        if path == "/dialog/forged":
            return "text/html; charset=utf-8", _FORGED.encode()
        return None

    def _steps(self, host: str) -> list[list[Any]]:
        p = self.popup
        steps: list[list[Any]] = [["noise", None]]
        if p.forged:
            other = host.replace("127.0.0.1", "localhost", 1)
            forged = _event("FINISH", {"phone_number_id": "1", "waba_id": "666"})
            steps.append(["forged", {"url": f"http://{other}/dialog/forged", "data": forged}])
        if p.kind in ("finish", "late", "coexistence"):
            account = p.account or (COEXISTENCE if p.kind == "coexistence" else NEW_NUMBER)
            code = self.signup.issue_code(
                account, late_by_s=self.signup.code_ttl_s + 1 if p.kind == "late" else 0.0
            )
            if p.kind == "coexistence":
                # 2026: the coexistence finish carries only the WABA (WHATSAPP.md §9).
                event = _event(
                    "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING",
                    {"waba_id": account.waba_id},
                    version=3,
                )
            else:
                event = _event(
                    "FINISH",
                    {
                        "phone_number_id": account.phone_number_id,
                        "waba_id": account.waba_id,
                        "business_id": account.business_id,
                    },
                )
            pair = [["event", event], ["code", code]]
            steps += list(reversed(pair)) if p.code_first else pair
        elif p.kind == "cancel":
            steps += [["event", _event("CANCEL", {"current_step": p.current_step})], ["code", None]]
        elif p.kind == "error":
            data = {
                "error_message": p.error_message,
                "error_code": p.error_code,
                "session_id": "f34b0000",
                "timestamp": "1746041036",
            }
            steps += [["event", _event("CANCEL", data)], ["code", None]]
        steps.append(["close", None])
        return steps


def _event(name: str, data: dict[str, Any], version: int | None = None) -> str:
    body: dict[str, Any] = {"type": "WA_EMBEDDED_SIGNUP", "event": name, "data": data}
    if version is not None:
        body["version"] = version
    return json.dumps(body)


_SDK = """
(function () {
  var ORIGIN = "__ORIGIN__";
  var pending = null, options = {};
  window.FB = {
    init: function (o) { options = o || {}; },
    login: function (callback, opts) {
      pending = callback;
      opts = opts || {};
      var q = new URLSearchParams({
        app_id: options.appId || "", version: options.version || "",
        config_id: opts.config_id || "", response_type: opts.response_type || "",
        override_default_response_type: String(!!opts.override_default_response_type),
        extras: JSON.stringify(opts.extras || {})
      });
      window.open(ORIGIN + "/dialog/embedded_signup?" + q.toString(), "fb_embedded_signup",
                  "width=480,height=640");
    }
  };
  window.addEventListener("message", function (ev) {
    if (ev.origin !== ORIGIN || typeof ev.data !== "string") return;
    var d; try { d = JSON.parse(ev.data); } catch (e) { return; }
    if (!d || d.type !== "STANDIN_AUTH" || !pending) return;
    var cb = pending; pending = null;
    cb(d.code ? {status: "connected", authResponse: {code: d.code}}
              : {status: "unknown", authResponse: null});
  });
})();
"""

_DIALOG = """<!doctype html>
<html><head><meta charset="utf-8"><title>Meta · Embedded Signup (stand-in)</title></head>
<body style="font-family: sans-serif">
<h1>Meta (stand-in)</h1><p id="step">…</p>
<script>
var steps = __STEPS__;
var opener = window.opener;
function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
async function play() {
  for (var i = 0; i < steps.length; i++) {
    var kind = steps[i][0], arg = steps[i][1];
    document.getElementById("step").textContent = kind;
    await wait(150);
    if (kind === "noise") {
      opener.postMessage("not json at all", "*");
      opener.postMessage({type: "WA_EMBEDDED_SIGNUP", event: "FINISH"}, "*");
    } else if (kind === "forged") {
      var f = document.createElement("iframe");
      f.src = arg.url + "#" + encodeURIComponent(arg.data);
      document.body.appendChild(f);
      await wait(300);
    } else if (kind === "event") {
      opener.postMessage(arg, "*");
    } else if (kind === "code") {
      opener.postMessage(JSON.stringify({type: "STANDIN_AUTH", code: arg}), "*");
    } else if (kind === "close") {
      window.close();
    }
  }
}
play();
</script></body></html>
"""

# Served from the other host name of the same double: another origin, as an attacker's
# frame would be. It posts its message to the page that opened the popup.
_FORGED = """<!doctype html><html><body><script>
parent.opener.postMessage(decodeURIComponent(location.hash.slice(1)), "*");
</script></body></html>
"""


async def answer_signup(
    sdk: SdkStandIn,
    conn: h11.Connection,
    stream: trio.SocketStream,
    request: h11.Request,
    headers: dict[str, str],
    body: Any,
) -> str | None:
    """Answer a request for the stand-in's pages or the signup endpoints; what was answered
    (for the double's record), or None when the request is for neither."""
    target = request.target.decode()
    page = sdk.page(target, headers.get("host", ""))
    if page is not None:
        content_type, raw = page
        response = h11.Response(
            status_code=200,
            headers=[("content-type", content_type), ("content-length", str(len(raw)))],
        )
        await stream.send_all(conn.send(response))
        await stream.send_all(conn.send(h11.Data(data=raw)))
        await stream.send_all(conn.send(h11.EndOfMessage()))
        return "page"
    answer = await sdk.signup.route(request.method.decode(), target, headers, body)
    if answer is None:
        return None
    status, payload = answer
    await respond(conn, stream, status, payload)
    return "ok" if status == 200 else f"error {payload['error']['code']}"
