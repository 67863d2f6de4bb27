// Small behaviours htmx doesn't cover: error toasts, copy buttons, closing menus.
(function () {
  "use strict";

  function toast(message, level) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var item = document.createElement("div");
    item.className = "toast " + (level || "info");
    item.setAttribute("role", level === "error" ? "alert" : "status");
    var text = document.createElement("span");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.append(text, close);
    region.append(item);
    setTimeout(function () { item.remove(); }, 8000);
  }
  window.plumeToast = toast;

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var message = xhr.getResponseHeader("X-Plume-Message");
    if (!message && (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0) {
      message = xhr.responseText;
    }
    toast(message || "That didn't work (error " + xhr.status + "). Nothing was changed.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Plume can't be reached. Check your connection; your last change may not be saved.", "error");
  });
  document.addEventListener("plume:toast", function (evt) {
    toast(evt.detail.message || evt.detail.value, evt.detail.level);
  });

  document.addEventListener("click", function (evt) {
    var copy = evt.target.closest("[data-copy-target]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy-target"));
      if (field) {
        field.select();
        (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject())
          .then(function () { toast("Link copied.", "info"); })
          .catch(function () { document.execCommand && document.execCommand("copy"); });
      }
    }
    // Close open menus when clicking elsewhere.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(evt.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });
})();
