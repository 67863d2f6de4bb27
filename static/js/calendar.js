// Calendar: drag a post to another day (or hour), or move it with the keyboard-friendly dialog.
// Everything works by event delegation, so calendars swapped in by htmx need no set-up.
(function () {
  "use strict";

  function backUrl(el) {
    var cal = el && el.closest("#calendar");
    return (cal && cal.getAttribute("data-back")) || (location.pathname + location.search);
  }

  function move(url, date, time, source) {
    if (!window.htmx) return;
    window.htmx.ajax("POST", url, {
      source: source,
      values: { date: date, time: time, next: "calendar", back: backUrl(source) },
      swap: "none",
    });
  }

  // -- drag and drop -------------------------------------------------------------------
  var dragged = null;

  document.addEventListener("dragstart", function (evt) {
    var chip = evt.target.closest && evt.target.closest("[draggable=true][data-move-url]");
    if (!chip) return;
    dragged = chip;
    chip.classList.add("dragging");
    evt.dataTransfer.effectAllowed = "move";
    evt.dataTransfer.setData("text/plain", chip.getAttribute("data-move-url"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
  });
  document.addEventListener("dragover", function (evt) {
    var cell = dragged && evt.target.closest && evt.target.closest("[data-drop-date]");
    if (!cell) return;
    evt.preventDefault();
    evt.dataTransfer.dropEffect = "move";
    if (!cell.classList.contains("drop-over")) {
      document.querySelectorAll(".drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
      cell.classList.add("drop-over");
    }
  });
  document.addEventListener("drop", function (evt) {
    var cell = dragged && evt.target.closest && evt.target.closest("[data-drop-date]");
    if (!cell) return;
    evt.preventDefault();
    var time = dragged.getAttribute("data-time") || "09:00";
    var hour = cell.getAttribute("data-drop-hour");
    if (hour) time = hour + ":" + time.slice(3, 5);  // the week view's hour, the post's minutes
    cell.classList.remove("drop-over");
    move(dragged.getAttribute("data-move-url"), cell.getAttribute("data-drop-date"), time, cell);
  });

  // -- the "move to" dialog (keyboard and screen readers) --------------------------------
  var opener = null;

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest(".cal-move");
    if (button) {
      var dialog = document.getElementById("move-dialog");
      if (!dialog || !dialog.showModal) return;
      var form = dialog.querySelector("[data-move-form]");
      form.setAttribute("action", button.getAttribute("data-move-url"));
      form.elements.date.value = button.getAttribute("data-date") || "";
      form.elements.time.value = button.getAttribute("data-time") || "09:00";
      form.elements.back.value = backUrl(button);
      dialog.querySelector("[data-move-title]").textContent = "“" + (button.getAttribute("data-title") || "") + "”";
      opener = button;
      dialog.showModal();
      form.elements.date.focus();
      return;
    }
    if (evt.target.closest && evt.target.closest("[data-close-dialog]")) {
      var open = evt.target.closest("dialog");
      if (open) open.close();
      if (opener && document.body.contains(opener)) opener.focus();
      return;
    }
    if (evt.target.closest && evt.target.closest("[data-close-day]")) {
      var panel = document.getElementById("day-panel");
      if (panel) panel.innerHTML = "";
    }
  });

  // The dialog's form posts like a drop does; the calendar is then swapped in.
  document.addEventListener("submit", function (evt) {
    var form = evt.target.closest && evt.target.closest("[data-move-form]");
    if (!form || !window.htmx) return;
    evt.preventDefault();
    var dialog = form.closest("dialog");
    if (dialog && dialog.open) dialog.close();
    move(form.getAttribute("action"), form.elements.date.value, form.elements.time.value,
      (opener && document.body.contains(opener)) ? opener : form);
  });

  // -- the reader's own time zone beside the brand's ---------------------------------------
  function showOwnZone(root) {
    var mine;
    try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    (root || document).querySelectorAll("[data-zone]").forEach(function (el) {
      var zone = el.getAttribute("data-zone");
      if (!mine || !zone || mine === zone) { el.textContent = ""; return; }
      var utc = el.getAttribute("data-utc");
      if (utc) {
        var when = new Date(utc);
        var text = when.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
        el.textContent = "(" + text + " your time, " + mine + ")";
      } else {
        el.textContent = "(you are in " + mine + ")";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showOwnZone(document); });
  document.addEventListener("htmx:load", function (evt) { showOwnZone(evt.target); });
})();
