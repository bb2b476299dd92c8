/*!
 * django-ekyc browser helper: start a verification when the user asks for it, and send the browser to the
 * provider's page.
 *
 * Two files, one code: this ES module (ekyc.mjs) is the source, and scripts/build_js.py writes the classic
 * script ekyc.js from it; ekyc.d.ts declares the module's types.
 *
 * The classic script, which {% load ekyc %}{% ekyc_scripts %} loads with the provider's web SDK and this
 * helper's messages in the page's language, defines window.DjangoEkyc (start, bind, bindAll) and binds every
 * {% ekyc_start_button %} ([data-ekyc-start]) once the page has loaded. By hand:
 *
 *   <button type="button" id="verify">Verify my identity</button>
 *   <script>DjangoEkyc.bind(document.getElementById("verify"), {docType: "01000000"});</script>
 *
 * The module binds nothing by itself:
 *
 *   import {bind, bindAll, start} from "/static/django_ekyc/ekyc.mjs";
 *   bindAll();  // the page's [data-ekyc-start] buttons
 *
 * Load the provider's web SDK first ({% ekyc_web_sdk %}): start() sends its getMetaInfo(), unchanged.
 * Options (values may be functions, read when the button is pressed): url (default "/ekyc/api/transactions/"),
 * productCode (default: the site's), docType (for products that read a document), purpose ("reverify": a face
 * check of the signed-in user against their own passed verification; it takes no productCode or docType),
 * sceneCode, options (object), csrfToken (default: the "csrftoken" cookie), redirect (default true; false
 * resolves with the API answer instead), errorTarget (bind: where "Starting..." and errors are said),
 * onError(error) (bind: your own error handling instead).
 * start(options) starts at once and returns a promise; call it from a user's action only: every call creates a
 * verification, and the site limits how many a user may start.
 * On failure the promise rejects with an Error carrying code, status and response (the API's JSON); its message
 * is the API's own words for people (a refused field's message, else the detail), in the page's language.
 */

var DEFAULT_MESSAGES = {
  sdk_missing: "The verification service did not load. Reload the page and try again.",
  network: "No connection to the site. Check your network and try again.",
  start_failed: "The verification could not start. Please try again.",
  starting: "Starting\u2026"
};

function message(key) {
  // The page's language: {% ekyc_scripts %} writes the translated messages into #ekyc-messages.
  var element = globalThis.document.getElementById("ekyc-messages");
  try {
    var translated = element ? JSON.parse(element.textContent) : {};
    return translated[key] || DEFAULT_MESSAGES[key];
  } catch (e) {
    return DEFAULT_MESSAGES[key];
  }
}

function readCookie(name) {
  var match = globalThis.document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
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

// The API's words for people: the messages of the refused fields (an invalid_request's detail only says that
// the request is not valid), else its detail.
function apiMessage(data) {
  var said = [];
  var fields = data && typeof data.fields === "object" && data.fields ? data.fields : {};
  Object.keys(fields).forEach(function (name) {
    (Array.isArray(fields[name]) ? fields[name] : []).forEach(function (refusal) {
      var text = refusal && typeof refusal.message === "string" ? refusal.message : "";
      if (text && said.indexOf(text) < 0) { said.push(text); }
    });
  });
  if (said.length) { return said.join(" "); }
  return data && typeof data.detail === "string" ? data.detail : "";
}

export function start(settings) {
  settings = settings || {};
  if (typeof globalThis.getMetaInfo !== "function") {
    return Promise.reject(failure(message("sdk_missing"), "sdk_missing", 0));
  }
  var body = {
    // Unchanged, from this very device: the provider picks the mobile or PC flow from it.
    meta_info: JSON.stringify(globalThis.getMetaInfo())
  };
  var fields = {purpose: "purpose", productCode: "product_code", docType: "doc_type", sceneCode: "scene_code",
                options: "options"};
  Object.keys(fields).forEach(function (name) {
    var given = value(settings[name]);
    if (given) { body[fields[name]] = given; }
  });
  return globalThis.fetch(value(settings.url) || "/ekyc/api/transactions/", {
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
        throw failure(apiMessage(data) || message("start_failed"), data.code || "http_" + response.status,
                      response.status, data);
      }
      if (settings.redirect !== false) {
        globalThis.location.assign(data.transaction_url);
      }
      return data;
    });
  });
}

// Where a button's "Starting..." and errors are said: a live region, so that they are announced.
function statusTarget(button, settings) {
  var target = settings.errorTarget ||
    globalThis.document.getElementById(button.getAttribute("data-error-target") || "");
  if (target && !target.hasAttribute("role") && !target.hasAttribute("aria-live")) {
    target.setAttribute("role", "status");
  }
  return target;
}

function say(target, text, state) {
  if (!target) { return; }
  target.textContent = text;
  target.setAttribute("data-state", state);
  if (text) { target.hidden = false; }
}

// Start when the user presses the button. While starting it stays focusable (aria-disabled, aria-busy: a
// disabled button would drop the keyboard focus to the page) and ignores further presses; "Starting..." and an
// error are said in the button's status region, and the focus stays on the button.
export function bind(button, settings) {
  settings = settings || {};
  var restore = null;
  statusTarget(button, settings);
  button.addEventListener("click", function () {
    if (button.getAttribute("aria-disabled") === "true") { return; }  // one start per press
    var target = statusTarget(button, settings);
    var label = button.textContent;
    button.setAttribute("aria-disabled", "true");
    button.setAttribute("aria-busy", "true");
    button.textContent = message("starting");
    say(target, message("starting"), "busy");
    restore = function () {
      restore = null;
      button.removeAttribute("aria-disabled");
      button.removeAttribute("aria-busy");
      button.textContent = label;
    };
    start(settings).then(function (data) {
      if (settings.redirect === false && restore) {  // the page goes on: the button is usable again
        restore();
        say(target, "", "");
      }
      return data;
    }, function (error) {
      if (restore) { restore(); }
      if (settings.onError) {
        say(target, "", "");
        settings.onError(error);
      } else {
        say(target, error.message, "error");
      }
    });
  });
  // Back from the provider's page through the browser's cache: the button is usable again.
  globalThis.addEventListener("pageshow", function (event) {
    if (event.persisted && restore) {
      restore();
      say(statusTarget(button, settings), "", "");
    }
  });
  return button;
}

function fromData(button) {
  var data = button.dataset;
  return {url: data.url, productCode: data.productCode, docType: data.docType, purpose: data.purpose,
          csrfToken: data.csrfToken};
}

export function bindAll() {
  Array.prototype.forEach.call(globalThis.document.querySelectorAll("[data-ekyc-start]"), function (button) {
    if (!button.hasAttribute("data-ekyc-bound")) {
      button.setAttribute("data-ekyc-bound", "");
      bind(button, fromData(button));
    }
  });
}
