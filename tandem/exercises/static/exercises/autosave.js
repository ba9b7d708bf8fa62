// Exercise worksheets: nothing typed is lost.
// - htmx autosaves the form 1.5 s after typing pauses, on leaving a field, and — while
//   the patient keeps typing — every 1.5 s (the "tandem-save" event below), so at most
//   the last seconds of typing are ever unsaved (hx-trigger on the form, see fill.html);
// - on leaving the page (tab hidden, navigation, closing) unsaved changes are sent with
//   navigator.sendBeacon, CSRF token included (the form's own hidden field);
// - when the session has ended, the server answers an autosave with HX-Redirect to the
//   login page: we go there with ?next= this worksheet, so after signing in again the
//   patient lands on the worksheet with the last autosaved draft.
(function () {
  "use strict";

  function worksheets() {
    return document.querySelectorAll("form[data-autosave]");
  }

  function status(form, text) {
    var box = form.querySelector("#autosave-status");
    if (box && text) {
      box.textContent = text;
    }
  }

  function markDirty(event) {
    var form = event.target && event.target.form;
    if (form && form.dataset.autosave) {
      form.dataset.dirty = "1";
    }
  }

  document.addEventListener("input", markDirty);
  document.addEventListener("change", markDirty);

  document.addEventListener("submit", function (event) {
    if (event.target.dataset && event.target.dataset.autosave) {
      event.target.dataset.submitting = "1";
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.dataset && form.dataset.autosave) {
      form.dataset.dirty = "0";
      status(form, form.dataset.savingText);
    }
  });

  function signInAgain(loginUrl) {
    // Sign in again, then come back to this worksheet (its draft is on the server).
    var target = new URL(loginUrl, window.location.href);
    target.searchParams.set("next", window.location.pathname + window.location.search);
    window.location.href = target.pathname + target.search;
  }

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var form = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!form || !form.dataset || !form.dataset.autosave || !xhr) {
      return;
    }
    var redirect = xhr.getResponseHeader("HX-Redirect");
    var landed = xhr.responseURL ? new URL(xhr.responseURL).pathname : form.dataset.autosave;
    if (redirect) {
      // The session timed out (idle or absolute limit).
      event.preventDefault();
      signInAgain(redirect);
    } else if (landed !== form.dataset.autosave) {
      // Signed out elsewhere: the request was redirected to the sign-in page.
      event.preventDefault();
      signInAgain(xhr.responseURL);
    }
  });

  var lastRefresh = 0;

  function refreshToken(form) {
    // After signing in again in another tab the CSRF token changes: fetch the current one
    // (a GET of this page changes nothing) and save again.
    if (Date.now() - lastRefresh < 60000) {
      return;
    }
    lastRefresh = Date.now();
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        if (new URL(response.url).pathname !== window.location.pathname) {
          signInAgain(response.url);
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("input[name=csrfmiddlewaretoken]");
        var field = form.querySelector("input[name=csrfmiddlewaretoken]");
        if (fresh && field) {
          field.value = fresh.value;
          document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": fresh.value }));
          window.htmx.trigger(form, "change");
        }
      })
      .catch(function () {});
  }

  function failed(event) {
    var form = event.detail.elt;
    if (form && form.dataset && form.dataset.autosave) {
      form.dataset.dirty = "1";
      form.dataset.failedAt = String(Date.now());
      status(form, form.dataset.failedText);
      if (event.detail.xhr && event.detail.xhr.status === 403) {
        refreshToken(form);
      }
    }
  }

  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  // While typing without pause, save every 1.5 s (the debounce alone would wait).
  window.setInterval(function () {
    worksheets().forEach(function (form) {
      var failedAt = Number(form.dataset.failedAt || 0);
      var pause = Date.now() - failedAt < 15000; // back off after a failed save
      if (form.dataset.dirty === "1" && form.dataset.submitting !== "1" && !pause &&
          window.htmx) {
        window.htmx.trigger(form, "tandem-save");
      }
    });
  }, 1500);

  function flush() {
    if (!navigator.sendBeacon) {
      return;
    }
    worksheets().forEach(function (form) {
      if (form.dataset.dirty === "1" && form.dataset.submitting !== "1") {
        if (navigator.sendBeacon(form.dataset.autosave, new FormData(form))) {
          form.dataset.dirty = "0";
        }
      }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush();
    }
  });
  window.addEventListener("pagehide", flush);
})();
