// Composer behaviours htmx doesn't cover: one-click voice fixes and the preview layout.
(function () {
  "use strict";

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-apply-fix]");
    if (!button) return;
    var field = document.getElementById(button.dataset.target);
    if (!field) return;
    var start = Number(button.dataset.start), end = Number(button.dataset.end);
    var value = field.value;
    if (end > value.length || value.slice(start, end) !== button.dataset.original) {
      window.plumeToast && window.plumeToast("The text changed; the suggestions are refreshing.", "info");
      return;
    }
    field.value = value.slice(0, start) + button.dataset.suggestion + value.slice(end);
    var caret = start + button.dataset.suggestion.length;
    field.focus();
    field.setSelectionRange(caret, caret);
    // Let autosave and the previews see the change as if it was typed.
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });

  function applyMode() {
    var select = document.getElementById("preview-mode");
    var grid = document.getElementById("previews");
    if (!select || !grid) return;
    grid.dataset.mode = select.value;
    grid.querySelectorAll(".pv").forEach(function (card) {
      card.hidden = select.value !== "all" && card.id !== "preview-" + select.value;
    });
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.id === "preview-mode") applyMode();
  });
  // What each autosave sent, so a merged answer only replaces text the person hasn't
  // changed since; and each field's value as the server last had it ("synced"), so a
  // field whose value differs from it has unsaved typing that must not be overwritten.
  var lastSent = {};
  var synced = {};

  function fieldsOf(form) {
    return form.querySelectorAll("textarea, input[type=text], input[type=url]");
  }
  function recordSynced() {
    var form = document.getElementById("composer");
    if (!form) return;
    synced = {};
    fieldsOf(form).forEach(function (el) { synced[el.name] = el.value; });
  }
  document.addEventListener("DOMContentLoaded", recordSynced);
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.elt === document.body || (evt.detail.elt && evt.detail.elt.querySelector && evt.detail.elt.querySelector("#composer"))) recordSynced();
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = document.getElementById("composer");
    if (form && evt.detail.elt === form && evt.detail.successful) {
      Object.keys(lastSent).forEach(function (name) { synced[name] = lastSent[name]; });
    }
  });

  // A structural change made here (platforms, customise, reset, media) answers with
  // HX-Location and the page is swapped for the new revision; a sync answer that
  // arrives meanwhile describes this person's own change and must not reload the page
  // under their next keystrokes.
  var ownStructuralChange = false;
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = document.getElementById("composer");
    var elt = evt.detail.elt;
    if (form && elt !== form && form.contains(elt)) ownStructuralChange = true;
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail.xhr;
    if (!ownStructuralChange || evt.detail.elt === document.getElementById("composer")) return;
    if (!evt.detail.successful || !xhr || !xhr.getResponseHeader("HX-Location")) ownStructuralChange = false;
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.elt === document.body) ownStructuralChange = false;
  });

  // Someone else saved: take their text into every field this person isn't changing.
  document.addEventListener("plume:remote", function (evt) {
    var form = document.getElementById("composer");
    if (!form) return;
    var base = document.getElementById("base-revision");
    // An answer to a poll sent before this page had the revision it now shows.
    if (ownStructuralChange || Number(evt.detail.revision) <= Number(base.value)) return;
    var dirty = false;
    fieldsOf(form).forEach(function (el) { if (el.value !== synced[el.name]) dirty = true; });
    if (evt.detail.reload && !dirty) { window.location.reload(); return; }
    var fields = evt.detail.fields || {};
    Object.keys(fields).forEach(function (name) {
      var el = form.elements[name];
      if (el && el.value === synced[name] && el.value !== fields[name]) {
        replaceKeepingCaret(el, fields[name]);
        synced[name] = fields[name];
      }
    });
    // Moving the base forward is only safe when nothing typed here is unsaved; otherwise
    // the next save merges from the old base and keeps both people's work.
    if (!dirty) document.getElementById("base-revision").value = evt.detail.revision;
    var refresh = document.getElementById("preview-refresh");
    if (refresh && window.htmx) window.htmx.trigger(refresh, "plume:refresh");
  });

  window.addEventListener("pagehide", function () {
    var sync = document.getElementById("sync");
    var token = document.querySelector("#composer input[name=csrf_token]");
    if (!sync || !token || !navigator.sendBeacon) return;
    var data = new FormData();
    data.append("csrf_token", token.value);
    navigator.sendBeacon(sync.dataset.leaveUrl, data);
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = document.getElementById("composer");
    if (!form || evt.detail.elt !== form) return;
    lastSent = {};
    form.querySelectorAll("textarea, input[type=text]").forEach(function (el) {
      lastSent[el.name] = el.value;
    });
  });

  function replaceKeepingCaret(el, value) {
    var old = el.value, start = el.selectionStart, end = el.selectionEnd;
    var prefix = 0;
    while (prefix < old.length && prefix < value.length && old[prefix] === value[prefix]) prefix++;
    var shift = start > prefix ? value.length - old.length : 0;
    el.value = value;
    if (document.activeElement === el) el.setSelectionRange(start + shift, end + shift);
  }

  document.addEventListener("plume:merged", function (evt) {
    var form = document.getElementById("composer");
    if (!form) return;
    var fields = evt.detail.fields || {};
    Object.keys(fields).forEach(function (name) {
      var el = form.elements[name];
      if (el && el.value === lastSent[name] && el.value !== fields[name]) {
        replaceKeepingCaret(el, fields[name]);
        synced[name] = fields[name];
      }
    });
    window.plumeToast && window.plumeToast("Merged with someone else's edits.", "info");
  });

  // Resolving a conflict: take a side, move the base to the saved revision, save again.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-resolve]");
    if (!button) return;
    var form = document.getElementById("composer");
    var el = form && form.elements[button.dataset.field];
    if (!el) return;
    if (button.dataset.resolve === "theirs") el.value = button.dataset.value;
    document.getElementById("base-revision").value = button.dataset.revision;
    var panel = document.getElementById("conflict-panel");
    button.closest(".conflict").remove();
    if (!panel.querySelector(".conflict")) panel.hidden = true;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // Cards swapped in while typing keep the chosen layout.
  document.addEventListener("htmx:afterSettle", applyMode);
})();
