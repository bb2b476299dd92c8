/*!
 * django-ekyc browser helper: start a verification when the user asks for it, and send the browser to the
 * provider's page.
 *
 * In a template, {% load ekyc %}{% ekyc_scripts %} loads the provider's web SDK, this file and its messages;
 * {% ekyc_start_button %} renders a button that starts a verification when pressed (never on page load). By hand:
 *
 *   <button type="button" id="verify">Verify my identity</button>
 *   <script>
 *     DjangoEkyc.bind(document.getElementById("verify"), {docType: "01000000"});
 *   </script>
 *
 * Options (values may be functions, read when the button is pressed): url (default "/ekyc/api/transactions/"),
 * productCode (default: the site's), docType (for products that read a document), purpose ("reverify": a face
 * check of the signed-in user against their own passed verification; it takes no productCode or docType),
 * sceneCode, options (object), csrfToken (default: the "csrftoken" cookie), redirect (default true; false
 * resolves with the API answer instead), onError(error) (default: show error.message in errorTarget).
 * DjangoEkyc.start(options) starts at once and returns a promise; call it from a user's action only: every call
 * creates a verification, and the site limits how many a user may start.
 * On failure the promise rejects with an Error carrying code, status and response (the API's JSON).
 */
(function (global) {
  "use strict";

  var DEFAULT_MESSAGES = {
    sdk_missing: "The verification service did not load. Reload the page and try again.",
    network: "No connection to the site. Check your network and try again.",
    start_failed: "The verification could not start. Please try again.",
    starting: "Starting\u2026"
  };

  function message(key) {
    // The page's language: {% ekyc_scripts %} writes the translated messages into #ekyc-messages.
    var element = global.document.getElementById("ekyc-messages");
    try {
      var translated = element ? JSON.parse(element.textContent) : {};
      return translated[key] || DEFAULT_MESSAGES[key];
    } catch (e) {
      return DEFAULT_MESSAGES[key];
    }
  }

  function readCookie(name) {
    var match = global.document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function failure(text, code, status, response) {
    var error = new Error(text);
    error.code = code;
    error.status = status;
    error.response = response;
    return error;
  }

  function value(option) {
    return typeof option === "function" ? option() : option;
  }

  function start(settings) {
    settings = settings || {};
    if (typeof global.getMetaInfo !== "function") {
      return Promise.reject(failure(message("sdk_missing"), "sdk_missing", 0));
    }
    var body = {
      // Unchanged, from this very device: the provider picks the mobile or PC flow from it.
      meta_info: JSON.stringify(global.getMetaInfo())
    };
    var fields = {purpose: "purpose", productCode: "product_code", docType: "doc_type", sceneCode: "scene_code",
                  options: "options"};
    Object.keys(fields).forEach(function (name) {
      var given = value(settings[name]);
      if (given) { body[fields[name]] = given; }
    });
    return global.fetch(value(settings.url) || "/ekyc/api/transactions/", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": value(settings.csrfToken) || readCookie("csrftoken")
      },
      body: JSON.stringify(body)
    }).catch(function () {
      throw failure(message("network"), "network", 0);
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw failure(data.detail || message("start_failed"), data.code || "http_" + response.status,
                        response.status, data);
        }
        if (settings.redirect !== false) {
          global.location.assign(data.transaction_url);
        }
        return data;
      });
    });
  }

  function showError(target, error) {
    if (!target) { return; }
    target.textContent = error.message;
    target.hidden = false;
  }

  // Start when the user presses the button: disabled while starting, its error shown where the page says.
  function bind(button, settings) {
    settings = settings || {};
    button.addEventListener("click", function () {
      var target = settings.errorTarget || global.document.getElementById(button.getAttribute("data-error-target"));
      if (target) { target.hidden = true; }
      var label = button.textContent;
      button.disabled = true;
      button.textContent = message("starting");
      function restore() {
        button.disabled = false;
        button.textContent = label;
      }
      start(settings).then(function (data) {
        if (settings.redirect === false) { restore(); }  // the page goes on: the button is usable again
        return data;
      }, function (error) {
        restore();
        (settings.onError || function (e) { showError(target, e); })(error);
      });
    });
    return button;
  }

  function fromData(button) {
    var data = button.dataset;
    return {url: data.url, productCode: data.productCode, docType: data.docType, purpose: data.purpose,
            csrfToken: data.csrfToken};
  }

  function bindAll() {
    Array.prototype.forEach.call(global.document.querySelectorAll("[data-ekyc-start]"), function (button) {
      if (!button.hasAttribute("data-ekyc-bound")) {
        button.setAttribute("data-ekyc-bound", "");
        bind(button, fromData(button));
      }
    });
  }

  if (global.document.readyState === "loading") {
    global.document.addEventListener("DOMContentLoaded", bindAll);
  } else {
    bindAll();
  }

  global.DjangoEkyc = {start: start, bind: bind, bindAll: bindAll};
})(window);
