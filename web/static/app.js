// flashd keyboard shortcuts. Served as a file because the Content Security
// Policy forbids inline script; every action here is a click on a visible
// control, so the page works the same without JavaScript.
(function () {
  "use strict";

  // Mark the page once htmx has wired it up (tests wait for this before
  // pressing keys).
  document.addEventListener("htmx:load", function () {
    document.documentElement.setAttribute("data-htmx-ready", "");
  });

  // The time zone the device is set to, an IANA name, or "".
  function deviceZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  // Sign-up forms send the device's time zone (the server keeps UTC when
  // there is none); settings offer it when it differs from the saved one.
  document.addEventListener("DOMContentLoaded", function () {
    var zone = deviceZone();
    if (!zone) return;
    document.querySelectorAll("input[data-detect-zone]").forEach(function (el) {
      el.value = zone;
    });
    var offer = document.querySelector("[data-device-zone]");
    var field = document.querySelector('input[name="time_zone"]:not([type="hidden"])');
    if (offer && field && field.value !== zone) {
      offer.querySelector("strong").textContent = zone;
      offer.querySelector("button").addEventListener("click", function () {
        field.value = zone;
        offer.hidden = true;
      });
      offer.hidden = false;
    }
  });

  // htmx sends the page's CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
  });

  function keyName(e) {
    if (e.key === " " || e.key === "Spacebar") return "space";
    if (e.key === "Enter") return "enter";
    return e.key.length === 1 ? e.key.toLowerCase() : e.key;
  }

  function click(el, e) {
    if (!el) return false;
    e.preventDefault();
    el.click();
    return true;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    var key = keyName(e);
    // Let a focused button or link handle its own activation keys.
    if ((key === "space" || key === "enter") && t.closest && t.closest("button, a, summary")) return;

    var pane = document.getElementById("review");
    if (!pane) {
      if (key === "s") click(document.querySelector('a[href="/review"].button'), e);
      return;
    }
    if (document.documentElement.classList.contains("flashd-busy")) return;
    // A pane htmx has just swapped in may not be wired up yet (that
    // happens as it settles); process it now so a click goes through htmx
    // rather than reloading the page. process is idempotent.
    if (window.htmx) window.htmx.process(pane);
    var answer = pane.querySelector("details.answer");
    var hidden = answer && !answer.open;

    if (key === "space" || key === "enter") {
      if (hidden) {
        e.preventDefault();
        answer.open = true;
        return;
      }
      click(pane.querySelector("[data-suggested]"), e);
      return;
    }
    if ("1234".indexOf(key) >= 0 && hidden) return; // rate only what you have seen
    var target = pane.querySelector('[data-key="' + CSS.escape(key) + '"]');
    click(target, e);
  });

  // While a request is in flight, ignore further keys: one key press is one
  // answer.
  document.addEventListener("htmx:beforeRequest", function () {
    document.documentElement.classList.add("flashd-busy");
  });
  document.addEventListener("htmx:afterRequest", function () {
    document.documentElement.classList.remove("flashd-busy");
  });
})();

// == phone and touch (issue 14, item 2) ==
(function () {
  "use strict";
  var still = window.matchMedia("(prefers-reduced-motion: reduce)");
  // The study calendar opens on today, its last column.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-opens-end]").forEach(function (el) {
      el.scrollLeft = el.scrollWidth;
    });
  });
  // After a scenario's pick, its verdict comes into view (the rating
  // buttons are pinned to the bottom).
  document.addEventListener("htmx:afterSwap", function () {
    var verdict = document.querySelector("#review .verdict");
    if (!verdict) return;
    var r = verdict.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) {
      verdict.scrollIntoView({ block: "start", behavior: still.matches ? "auto" : "smooth" });
    }
  });
})();

// == deck editor ==
// The editor's line numbers, and the problems and preview cards that
// take the caret to their line. Without JavaScript the text area has no
// gutter, and a problem's link just goes to the text area.
(function () {
  "use strict";

  function lineHeight(ta) {
    var lh = parseFloat(window.getComputedStyle(ta).lineHeight);
    return isNaN(lh) ? 20 : lh;
  }

  // number keeps the gutter's numbers and scroll in step with the text.
  function number(ta) {
    var gutter = ta.parentNode.querySelector(".gutter");
    if (!gutter) return;
    var n = ta.value.split("\n").length;
    if (gutter.dataset.lines !== String(n)) {
      var s = "";
      for (var i = 1; i <= n; i++) s += i + "\n";
      // Room for the text area's horizontal scroll bar, so the last lines
      // still line up when scrolled to the end.
      gutter.textContent = s + "\n\n";
      gutter.dataset.lines = String(n);
    }
    gutter.scrollTop = ta.scrollTop;
  }

  function setUp(ta) {
    if (ta.dataset.editorReady) return;
    ta.dataset.editorReady = "1";
    var gutter = ta.parentNode.querySelector(".gutter");
    if (gutter) gutter.hidden = false;
    ta.addEventListener("input", function () { number(ta); });
    ta.addEventListener("scroll", function () { number(ta); });
    number(ta);
  }

  // goToLine puts the caret at the start of line (1-based) and scrolls
  // the text so that the line is in view, a third of the way down.
  function goToLine(ta, line) {
    var lines = ta.value.split("\n");
    line = Math.max(1, Math.min(line, lines.length));
    var pos = 0;
    for (var i = 0; i < line - 1; i++) pos += lines[i].length + 1;
    ta.focus({ preventScroll: true });
    ta.setSelectionRange(pos, pos);
    ta.scrollTop = Math.max(0, (line - 1) * lineHeight(ta) - ta.clientHeight / 3);
    ta.scrollLeft = 0;
    number(ta);
    var r = ta.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) ta.scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-editor]").forEach(setUp);
  });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("[data-line]");
    var ta = document.querySelector("textarea[data-editor]");
    if (!link || !ta) return;
    e.preventDefault();
    goToLine(ta, parseInt(link.dataset.line, 10) || 1);
  });
})();
