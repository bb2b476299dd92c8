/*!
 * django-ekyc's waiting page (django_ekyc/result.html while the result is not in): ask the server again without
 * reloading the page, say so in the live region #ekyc-live, and show the result when it is in.
 *
 * The server decides the cadence: #ekyc-recheck names the first status URL and the seconds to wait, and each
 * answer names the next (none: stop, and let the person decide). #ekyc-pause pauses and resumes the checks.
 * When the result is in, its HTML replaces #ekyc-result, the page's title follows, and the focus moves to the
 * new heading (the live region is emptied then: the heading is said once, as the focus reaches it). Without this
 * script, the "Check again" link reloads the page.
 *
 * The live region's data-state says what the page does (waiting: a check is due; asking: a check is under way;
 * paused; stopped: no more checks, the person decides; done: the result is shown) and its data-checks how many
 * checks it made: for tests and styles, never a text to read.
 */
(function () {
  "use strict";

  var doc = document;
  var live = doc.getElementById("ekyc-live");
  var recheck = doc.getElementById("ekyc-recheck");
  var texts = doc.getElementById("ekyc-result-messages");
  if (!live || !recheck || !texts || typeof window.fetch !== "function") { return; }
  var messages = JSON.parse(texts.textContent);
  var pause = doc.getElementById("ekyc-pause");
  var next = recheck.getAttribute("data-status-url") || "";
  var seconds = Number(recheck.getAttribute("data-recheck-seconds")) || 5;
  var paused = false;
  var asking = false;
  var timer = null;
  var checks = 0;

  function say(text) {
    live.textContent = text;
  }

  function state(name) {
    live.setAttribute("data-state", name);
  }

  function wait() {
    window.clearTimeout(timer);
    timer = next && !paused ? window.setTimeout(ask, seconds * 1000) : null;
    state(timer !== null ? "waiting" : paused ? "paused" : "stopped");
  }

  function stop(text) {
    next = "";
    wait();
    if (pause) {
      // A hidden button cannot keep the focus: hand it to the way on before it falls to the page's body.
      var again = doc.getElementById("ekyc-check-again");
      if (doc.activeElement === pause && again) { again.focus(); }
      pause.hidden = true;
    }
    say(text);
  }

  function show(answer) {
    var holder = doc.createElement("div");
    holder.innerHTML = answer.html;
    var fresh = holder.querySelector("#ekyc-result");
    var current = doc.getElementById("ekyc-result");
    if (!fresh || !current) { stop(messages.failed); return; }
    next = "";
    wait();
    current.parentNode.replaceChild(fresh, current);
    if (answer.title) { doc.title = answer.title; }
    var heading = fresh.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    say("");  // the focus on the heading says it: once
    state("done");
    if (window.DjangoEkyc && fresh.querySelector("[data-ekyc-start]")) { window.DjangoEkyc.bindAll(); }
  }

  function ask() {
    timer = null;
    if (paused || !next) { return; }
    if (asking) { state("asking"); return; }  // resumed while a check is under way: its answer decides
    asking = true;
    checks += 1;
    live.setAttribute("data-checks", String(checks));
    state("asking");
    window.fetch(next, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (answer) {
      asking = false;
      if (paused) { state("paused"); return; }  // resumed later: asked again then
      if (!answer.waiting) { show(answer); return; }
      next = answer.recheck_url || "";
      seconds = Number(answer.recheck_seconds) || seconds;
      if (next) { wait(); } else { stop(messages.stopped); }
    }).catch(function () {
      asking = false;
      stop(messages.failed);
    });
  }

  if (pause) {
    pause.hidden = false;
    pause.addEventListener("click", function () {
      paused = !paused;
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
      say(paused ? messages.paused : messages.resumed);
      if (paused) { wait(); } else { ask(); }
    });
  }
  live.setAttribute("data-checks", "0");
  say(messages.waiting);
  wait();
})();
