// The Connect WhatsApp page: Meta's JS SDK popup, its message events and the code, handed to
// the daemon at once. Every word shown is in the page already (server-rendered in the
// studio's language); this script only switches states and fills in what the daemon said.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("cw-config").textContent);
  var root = document.getElementById("signup");
  var button = document.getElementById("cw-start");
  var coexistence = document.getElementById("cw-coexistence");
  // How long the code waits for the popup's finish event (they come in either order); the
  // code itself dies about 30 s after Meta made it, so never long.
  var EVENT_GRACE_MS = 1500;
  var flow = null;

  function show(state, message) {
    root.setAttribute("data-state", state);
    if (message !== undefined) {
      document.getElementById("cw-error-message").textContent = message;
    }
    var label = state === "expired" ? "reconnect" : state === "not_connected" ? "start" : "retry";
    button.textContent = button.getAttribute("data-label-" + label);
  }

  function ready() {
    button.disabled = false;
    show(root.getAttribute("data-state"));
  }

  // Meta's origin (or the double's in tests): the origin itself or one of its subdomains,
  // same scheme and port. "evilfacebook.com" is not "facebook.com".
  function originOk(origin) {
    var want, got;
    try {
      want = new URL(cfg.sdk.origin);
      got = new URL(origin);
    } catch (e) {
      return false;
    }
    if (got.protocol !== want.protocol || got.port !== want.port) return false;
    return got.hostname === want.hostname || got.hostname.endsWith("." + want.hostname);
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Recado-Page-Token": cfg.page_token },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (data) { return { status: response.status, data: data }; },
        function () { return { status: response.status, data: {} }; }
      );
    });
  }

  // What the daemon now knows (the record, its history, the funnel), from the page itself:
  // the sections below the flow, and the connected card's facts, in the studio's words.
  function refresh() {
    return fetch(window.location.pathname + "?refresh=1", { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var details = fresh.getElementById("cw-details");
        if (details) document.getElementById("cw-details").replaceWith(details);
        var facts = fresh.querySelector("#cw-connected dl.cw-facts");
        if (facts) document.querySelector("#cw-connected dl.cw-facts").replaceWith(facts);
      })
      .catch(function () {});
  }

  function refused(answer) {
    var error = (answer.data && answer.data.error) || "";
    if (answer.status === 401 || error.indexOf("state_") === 0) {
      show("expired");
    } else {
      show("meta_error", answer.data.message || answer.data.detail || "HTTP " + answer.status);
    }
  }

  function Flow() {
    this.state = post("/api/v1/whatsapp/embedded-signup/start", {});
    this.login = null;
    this.event = null;
    this.done = false;
    this.timer = null;
    this.graceOver = false;
  }

  // Both the login callback (with the code, or none) and the popup's event (finish, cancel,
  // error) are awaited, in either order; a login without an event waits EVENT_GRACE_MS.
  Flow.prototype.settle = function () {
    var self = this;
    if (self.done || self.login === null) return;
    if (self.event === null && !self.graceOver) {
      if (self.timer === null) {
        self.timer = setTimeout(function () {
          self.graceOver = true;
          self.settle();
        }, EVENT_GRACE_MS);
      }
      return;
    }
    clearTimeout(self.timer);
    self.done = true;
    var code = self.login.authResponse && self.login.authResponse.code;
    var ev = self.event;
    self.state
      .then(function (started) {
        if (started.status !== 200) return refused(started);
        if (code) return self.callback(started.data.state, code, ev);
        return self.ended(started.data.state, ev);
      })
      .then(refresh);
  };

  Flow.prototype.callback = function (state, code, ev) {
    var data = (ev && ev.data) || {};
    return post("/api/v1/whatsapp/embedded-signup/callback", {
      code: code,
      state: state,
      waba_id: data.waba_id || null,
      phone_number_id: data.phone_number_id || null,
      finish_event: (ev && ev.event) || null,
    }).then(function (answer) {
      if (answer.status !== 200) return refused(answer);
      var c = answer.data.connection || {};
      document.getElementById("cw-number").textContent = c.display_phone_number || "";
      document.getElementById("cw-business").textContent = c.business_name || "";
      document.getElementById("cw-waba").textContent = c.waba_id || "";
      document.getElementById("cw-coexistence-note").hidden = !c.coexistence;
      if (answer.data.pin) {
        document.getElementById("cw-pin").textContent = answer.data.pin;
        document.getElementById("cw-pin-box").hidden = false;
      }
      show("connected");
    });
  };

  Flow.prototype.ended = function (state, ev) {
    var data = (ev && ev.data) || {};
    var reported = ev && (ev.event === "ERROR" || data.error_message);
    var body = { state: state, current_step: data.current_step || null };
    if (reported) {
      body.error_code = data.error_code ? String(data.error_code) : null;
      body.error_message = data.error_message || null;
    }
    return post("/api/v1/whatsapp/embedded-signup/cancel", body).then(function (answer) {
      if (answer.status !== 200) return refused(answer);
      if (reported) return show("meta_error", data.error_message || data.error_code || "");
      show("canceled");
    });
  };

  window.addEventListener("message", function (event) {
    if (!originOk(event.origin) || typeof event.data !== "string") return;
    var data;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return; // Meta's frames post other messages too
    }
    if (!data || data.type !== "WA_EMBEDDED_SIGNUP" || flow === null || flow.done) return;
    flow.event = data;
    flow.settle();
  });

  button.addEventListener("click", function () {
    if (!window.FB) return;
    flow = new Flow();
    var current = flow;
    show("connecting");
    var extras = { setup: {}, sessionInfoVersion: "3" };
    if (coexistence && coexistence.checked) {
      extras.featureType = "whatsapp_business_app_onboarding";
    }
    // Called in the click itself: a popup opened later would be blocked.
    window.FB.login(
      function (response) {
        current.login = response || {};
        current.settle();
      },
      {
        config_id: cfg.sdk.config_id,
        response_type: "code",
        override_default_response_type: true,
        extras: extras,
      }
    );
  });

  var script = document.createElement("script");
  script.src = cfg.sdk.url;
  script.async = true;
  script.onload = function () {
    window.FB.init({ appId: cfg.sdk.app_id, autoLogAppEvents: true, xfbml: false,
                     version: cfg.sdk.version });
    ready();
  };
  script.onerror = function () {
    document.getElementById("cw-sdk-failed").hidden = false;
  };
  document.head.appendChild(script);
})();
