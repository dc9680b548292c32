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


// == confirmations ==
// A submit button marked data-confirm asks in the page's dialog before its
// form is sent; Confirm sends it with confirm=yes, Cancel and Escape send
// nothing. Without JavaScript the form goes as it is and the server asks
// on a page of its own, so nothing is done unasked either way.
(function () {
  "use strict";
  var dialog, pending;

  document.addEventListener("DOMContentLoaded", function () {
    var d = document.getElementById("confirm-dialog");
    if (!d || typeof d.showModal !== "function") return;
    dialog = d;
    d.querySelector("[data-confirm-ok]").addEventListener("click", function () { d.close("ok"); });
    d.querySelector("[data-confirm-cancel]").addEventListener("click", function () { d.close("cancel"); });
    d.addEventListener("close", function () {
      var p = pending;
      pending = null;
      if (!p) return;
      if (d.returnValue !== "ok") {
        p.button.focus();
        return;
      }
      var yes = document.createElement("input");
      yes.type = "hidden";
      yes.name = "confirm";
      yes.value = "yes";
      p.form.appendChild(yes);
      if (p.form.requestSubmit) p.form.requestSubmit(p.button);
      else p.form.submit();
      // The form's data is taken: a page restored from the back button
      // asks again.
      yes.remove();
    });
  });

  document.addEventListener("submit", function (e) {
    var b = e.submitter;
    if (!dialog || !b || !b.hasAttribute("data-confirm")) return;
    if (e.target.querySelector('input[name="confirm"][value="yes"]')) return;
    e.preventDefault();
    dialog.querySelector("#confirm-question").textContent = b.getAttribute("data-confirm");
    dialog.querySelector("#confirm-detail").textContent = b.getAttribute("data-confirm-detail") || "";
    dialog.querySelector("[data-confirm-ok]").textContent = b.getAttribute("data-confirm-button") || "Confirm";
    pending = { form: e.target, button: b };
    dialog.returnValue = "";
    dialog.showModal();
  });

  // Copy link: a button marked data-copy="ID" copies the text of element
  // ID and says so in the status element data-copy-status names. Where the
  // clipboard is refused (a page not served over HTTPS), the text is
  // selected for copying by hand. Without JavaScript the button stays
  // hidden; the link is on the page to select.
  var cleared;
  function say(status, text) {
    status.textContent = text;
    clearTimeout(cleared);
    cleared = setTimeout(function () { status.textContent = ""; }, 4000);
  }
  function selectText(el) {
    var r = document.createRange();
    r.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (b) {
      var source = document.getElementById(b.getAttribute("data-copy"));
      var status = document.getElementById(b.getAttribute("data-copy-status"));
      if (!source || !status) return;
      b.hidden = false;
      b.addEventListener("click", function () {
        var text = source.textContent.trim();
        var byHand = function () {
          selectText(source);
          say(status, "Link selected: copy it now.");
        };
        if (!navigator.clipboard || !navigator.clipboard.writeText) {
          byHand();
          return;
        }
        navigator.clipboard.writeText(text).then(function () { say(status, "Copied"); }, byHand);
      });
    });
  });
})();
