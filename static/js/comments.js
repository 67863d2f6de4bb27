// Comments panel behaviours htmx doesn't cover: comment on a selection or an image point,
// select a comment's anchor in the editor, @mention suggestions, keyboard and focus for the edit
// form, and a poll that waits while someone is typing a reply or editing a comment.
// Everything is delegated, so boosted pages just work.
(function () {
  "use strict";

  function toast(message, level) {
    if (window.plumeToast) window.plumeToast(message, level || "info");
  }
  function panel() { return document.getElementById("comments"); }
  function commentForm() { return document.getElementById("comment-form"); }
  function input(form, name) { return form.querySelector("input[name='" + name + "']"); }
  function captions() { return document.querySelectorAll("#composer textarea.caption"); }
  function isCaption(el) { return el && el.matches && el.matches("#composer textarea.caption"); }

  // --- comment on a selection ---------------------------------------------------------------
  var lastCaption = null;
  var floating = null;

  function selectionOf(el) {
    if (!el) return null;
    var start = el.selectionStart, end = el.selectionEnd;
    if (start == null || end == null || start === end) return null;
    return { start: start, end: end, text: el.value.slice(start, end) };
  }
  function floatButton() {
    if (floating && document.body.contains(floating)) return floating;
    floating = document.createElement("button");
    floating.type = "button";
    floating.className = "btn primary comment-float";
    floating.setAttribute("data-comment-on-selection", "");
    floating.textContent = "Comment on selection";
    floating.hidden = true;
    document.body.appendChild(floating);
    return floating;
  }
  function trackSelection(evt) {
    if (!isCaption(evt.target) || !panel()) return;
    lastCaption = evt.target;
    floatButton().hidden = !selectionOf(evt.target);
  }
  ["select", "mouseup", "keyup"].forEach(function (name) {
    document.addEventListener(name, trackSelection);
  });
  document.addEventListener("focusin", function (evt) {
    if (isCaption(evt.target)) lastCaption = evt.target;
  });

  function setAnchor(form, values, label) {
    form.querySelectorAll("[data-anchor-input]").forEach(function (el) {
      el.value = values[el.name] != null ? String(values[el.name]) : "";
    });
    var chip = form.querySelector("[data-anchor-chip]");
    if (chip) {
      chip.hidden = !label;
      chip.querySelector("[data-anchor-chip-text]").textContent = label || "";
    }
    form.querySelectorAll("[data-pin-media] .pin").forEach(function (pin) {
      if (values.anchor_media_id == null || pin.parentNode.dataset.pinMedia !== String(values.anchor_media_id)) pin.hidden = true;
    });
  }

  function commentOnSelection() {
    var form = commentForm();
    if (!form) return;
    var el = isCaption(document.activeElement) ? document.activeElement : lastCaption;
    var sel = selectionOf(el);
    if (!sel || !document.body.contains(el)) {
      toast("Select some words in the caption (or a platform's text) first.", "info");
      return;
    }
    var revision = document.getElementById("base-revision");
    var short = sel.text.length > 60 ? sel.text.slice(0, 59) + "…" : sel.text;
    setAnchor(form, {
      anchor_field: el.name,
      anchor_start: sel.start,
      anchor_end: sel.end,
      anchor_quote: sel.text,
      anchor_revision: revision ? revision.value : ""
    }, "On “" + short + "”");
    if (floating) floating.hidden = true;
    var body = form.querySelector("textarea[name=body]");
    body.scrollIntoView({ block: "center" });
    body.focus({ preventScroll: true });
  }

  function placePin(evt, button) {
    var form = commentForm();
    var img = button.querySelector("img");
    if (!form || !img) return;
    var box = img.getBoundingClientRect();
    if (!box.width || !box.height) return;
    var x = Math.min(1, Math.max(0, (evt.clientX - box.left) / box.width));
    var y = Math.min(1, Math.max(0, (evt.clientY - box.top) / box.height));
    if (evt.detail === 0) { x = 0.5; y = 0.5; }  // keyboard: the middle of the picture
    setAnchor(form, {
      anchor_media_id: button.dataset.pinMedia,
      anchor_x: x.toFixed(4),
      anchor_y: y.toFixed(4)
    }, "On a point of an image (" + Math.round(x * 100) + "% across, " + Math.round(y * 100) + "% down)");
    var pin = button.querySelector(".pin");
    pin.style.left = (x * 100) + "%";
    pin.style.top = (y * 100) + "%";
    pin.hidden = false;
  }

  // --- show a comment's anchor ----------------------------------------------------------------
  function nearest(value, text, near) {
    if (!text) return -1;
    var best = -1, index = value.indexOf(text);
    while (index !== -1) {
      if (best === -1 || Math.abs(index - near) < Math.abs(best - near)) best = index;
      index = value.indexOf(text, index + 1);
    }
    return best;
  }

  function selectAnchor(holder) {
    var name = holder.dataset.anchorField;
    var field = document.querySelector("#composer [name='" + CSS.escape(name) + "']");
    if (!field) {
      toast("That text isn't open in the editor (the platform's own text may have been reset).", "info");
      return;
    }
    var start = Number(holder.dataset.anchorStart), end = Number(holder.dataset.anchorEnd);
    var text = holder.dataset.anchorText || "";
    if (field.value.slice(start, end) !== text) {
      // Unsaved typing moved it: find the words themselves, nearest to where they were.
      var found = nearest(field.value, text, start);
      if (found === -1) { toast("That text has changed since; it can't be found now.", "info"); return; }
      start = found; end = found + text.length;
    }
    var details = field.closest("details");
    if (details) details.open = true;
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
    field.setSelectionRange(start, end);
    // Scroll the textarea itself so the selection is in view.
    var lineHeight = parseFloat(getComputedStyle(field).lineHeight) || 22;
    var lines = field.value.slice(0, start).split("\n").length - 1;
    field.scrollTop = Math.max(0, (lines - 1) * lineHeight);
    field.classList.remove("anchor-flash");
    void field.offsetWidth;
    field.classList.add("anchor-flash");
  }

  function showPin(holder) {
    var frame = holder.querySelector(".anchor-image .pin-frame") || holder.querySelector(".pin-frame");
    if (!frame) return;
    frame.scrollIntoView({ block: "center" });
    frame.classList.remove("pin-pulse");
    void frame.offsetWidth;
    frame.classList.add("pin-pulse");
  }

  document.addEventListener("click", function (evt) {
    var target = evt.target;
    if (target.closest("[data-comment-on-selection]")) { commentOnSelection(); return; }
    if (target.closest("[data-clear-anchor]")) {
      var form = commentForm();
      if (form) setAnchor(form, {}, "");
      return;
    }
    var pinButton = target.closest("[data-pin-media]");
    if (pinButton) { placePin(evt, pinButton); return; }
    var option = target.closest("[data-mention]");
    if (option) { pickMention(option); return; }
    var thread = target.closest("#comments .thread");
    if (!thread) return;
    // Clicking a comment (not its buttons or forms) shows what it is about.
    var quote = target.closest(".anchor-quote, .anchor-image");
    if (!quote && target.closest("a, button, input, textarea, summary, form, label")) return;
    if (thread.dataset.anchorField) selectAnchor(thread);
    else if (thread.dataset.anchorMedia) showPin(thread);
  });

  // --- @mention suggestions -------------------------------------------------------------------
  var MENTION_AT_CARET = /(^|[\s(\[{"'])@([\w.+-]{0,40})$/;
  var pending = 0;

  function listFor(area) { return area.parentNode.querySelector(".mention-options"); }
  function tokenAtCaret(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = MENTION_AT_CARET.exec(before);
    return match ? { query: match[2], start: before.length - match[2].length - 1 } : null;
  }
  function hideList(area) {
    var list = listFor(area);
    if (list) { list.hidden = true; list.innerHTML = ""; }
  }

  document.addEventListener("input", function (evt) {
    var area = evt.target;
    if (!area.matches || !area.matches("textarea[data-mention-url]")) return;
    var token = tokenAtCaret(area);
    var list = listFor(area);
    if (!token || !list) { hideList(area); return; }
    var ticket = ++pending;
    fetch(area.dataset.mentionUrl + "?q=" + encodeURIComponent(token.query), {
      headers: { "HX-Request": "true" }, credentials: "same-origin"
    }).then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (ticket !== pending || !html) return;
        list.innerHTML = html;  // server-rendered, escaped
        list.hidden = false;
      }).catch(function () { hideList(area); });
  });

  function pickMention(option) {
    var list = option.closest(".mention-options");
    var area = list && list.parentNode.querySelector("textarea[data-mention-url]");
    if (!area) return;
    var token = tokenAtCaret(area);
    var caret = area.selectionStart;
    var start = token ? token.start : caret;
    var insert = "@" + option.dataset.mention + " ";
    area.value = area.value.slice(0, start) + insert + area.value.slice(caret);
    area.focus();
    area.setSelectionRange(start + insert.length, start + insert.length);
    hideList(area);
  }

  document.addEventListener("keydown", function (evt) {
    var area = evt.target;
    if (area.matches && area.matches("textarea[data-mention-url]")) {
      var list = listFor(area);
      if (!list || list.hidden) {
        if (evt.key === "Escape") cancelEdit(evt, area);
        return;
      }
      if (evt.key === "Escape") { evt.preventDefault(); hideList(area); }
      else if (evt.key === "ArrowDown") {
        var first = list.querySelector("[data-mention]");
        if (first) { evt.preventDefault(); first.focus(); }
      }
      return;
    }
    var option = area.closest && area.closest("[data-mention]");
    if (!option) return;
    var item = option.closest("li");
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      evt.preventDefault();
      var next = evt.key === "ArrowDown" ? item.nextElementSibling : item.previousElementSibling;
      var button = next && next.querySelector("[data-mention]");
      if (button) button.focus();
      else if (evt.key === "ArrowUp") option.closest(".mention-options").parentNode.querySelector("textarea").focus();
    }
  });

  // --- editing a comment -----------------------------------------------------------------------
  // Escape cancels the edit; after Save or Cancel, focus goes back to the comment's Edit button
  // (the panel or the comment was replaced, which would otherwise drop focus on the page).
  var refocus = null, refocusFrom = null;

  function cancelEdit(evt, area) {
    var form = area.closest(".comment-edit-form");
    var cancel = form && form.querySelector("[data-comment-cancel]");
    if (!cancel) return;
    evt.preventDefault();
    cancel.click();
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    var form = elt && elt.closest && elt.closest(".comment-edit-form");
    if (form) { refocus = form.closest(".comment").id; refocusFrom = elt; }
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (!refocus) return;
    // Only the answer to that form's own request: the editor's polls settle all the time.
    var config = evt.detail.requestConfig;
    if (!config || config.elt !== refocusFrom) return;
    refocusFrom = null;
    var comment = document.getElementById(refocus);
    refocus = null;
    var target = comment && (comment.querySelector("[data-comment-edit]") || comment.querySelector("textarea"));
    if (target) target.focus();
  });
  document.addEventListener("focusin", function (evt) {
    var area = evt.target;
    if (!area.matches || !area.matches(".comment-edit-form textarea") || area.dataset.caretPlaced) return;
    area.dataset.caretPlaced = "1";  // once: later focus keeps wherever the person left it
    area.setSelectionRange(area.value.length, area.value.length);
  });

  // --- polling and swaps ------------------------------------------------------------------------
  function typingIn(container) {
    var active = document.activeElement;
    if (active && container.contains(active) && active.matches("textarea")) return true;
    return Array.prototype.some.call(container.querySelectorAll("textarea"), function (t) {
      return t.value.trim() !== "";
    });
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    // The 10-second poll must not replace a reply someone is writing.
    if (elt && elt.id === "comment-threads" && evt.detail.requestConfig &&
        evt.detail.requestConfig.verb === "get" && typingIn(elt)) {
      evt.preventDefault();
    }
  });

  // A poll sent before someone opened an edit form or started a reply may answer after it:
  // keep what they are writing (the next poll brings the news).
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    var config = evt.detail.requestConfig;
    if (target && target.id === "comment-threads" && config && config.verb === "get" &&
        typingIn(target)) {
      evt.detail.shouldSwap = false;
    }
  });

  var openBefore = [];
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || (target.id !== "comments" && target.id !== "comment-threads")) return;
    openBefore = Array.prototype.map.call(target.querySelectorAll("details[open][id]"), function (d) {
      return d.id;
    }).filter(function (id) { return target.id === "comment-threads" || id.indexOf("reply-") !== 0; });
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (!openBefore.length) return;
    openBefore.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) details.open = true;
    });
    openBefore = [];
  });

  function showHashComment() {
    var match = /^#comment-(\d+)$/.exec(window.location.hash);
    if (!match) return;
    var comment = document.getElementById("comment-" + match[1]);
    if (!comment) return;
    var resolved = comment.closest("details");
    if (resolved) resolved.open = true;
    comment.classList.add("just-posted");
    comment.scrollIntoView({ block: "center" });
  }
  document.addEventListener("DOMContentLoaded", showHashComment);
  window.addEventListener("hashchange", showHashComment);
})();
