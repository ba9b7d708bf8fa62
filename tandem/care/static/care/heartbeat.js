// Time budget: while a patient's page is visible and in use, tell the server once a
// minute that the therapist is working on this patient. No beat after two minutes
// without input (idle time is not counted); a beat when the page is hidden or left.
(function () {
  "use strict";
  var root = document.querySelector("[data-heartbeat-url][data-patient]");
  if (!root) { return; }
  var url = root.dataset.heartbeatUrl;
  var patient = root.dataset.patient;
  var IDLE_MS = 2 * 60 * 1000;
  var BEAT_MS = 60 * 1000;
  var lastInput = Date.now();
  var token = "";
  try {
    token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (e) { token = ""; }

  function active() {
    return document.visibilityState === "visible" && Date.now() - lastInput < IDLE_MS;
  }
  function beat(final) {
    var body = new FormData();
    body.append("patient", patient);
    body.append("csrfmiddlewaretoken", token);
    if (final && navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
      return;
    }
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": token }
    }).catch(function () { /* a lost beat only loses a minute */ });
  }
  ["mousemove", "mousedown", "keydown", "scroll", "touchstart", "input"].forEach(function (name) {
    window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && Date.now() - lastInput < IDLE_MS) { beat(true); }
    if (document.visibilityState === "visible") { lastInput = Date.now(); beat(false); }
  });
  beat(false);
  window.setInterval(function () { if (active()) { beat(false); } }, BEAT_MS);
})();
