// Media uploads: drag-and-drop or file picker, one POST per file, each with its own progress
// row. XHR (not fetch) because only XHR reports upload progress. The server answers each file
// with its library tile, or a 4xx whose text says exactly why that file was refused.
(function () {
  "use strict";
  if (window.plumeUploads) return; // the script is re-run by boosted navigation
  window.plumeUploads = true;

  var PARALLEL = 2; // the server verifies each image; two at a time keeps it responsive
  var queue = [];
  var running = 0;

  function megabytes(n) {
    return (n / (1024 * 1024)).toFixed(1) + " MB";
  }

  function row(file) {
    var list = document.getElementById("upload-list");
    var item = document.createElement("li");
    item.className = "upload-row";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name || "image";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress of " + (file.name || "image"));
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "Waiting…";
    item.append(name, bar, status);
    if (list) list.prepend(item);
    return { item: item, bar: bar, status: status };
  }

  function finish(r, level, message) {
    r.item.classList.add(level);
    r.status.textContent = message;
    r.status.setAttribute("role", level === "error" ? "alert" : "status");
    if (level !== "error") r.bar.value = 100;
  }

  function insertTile(html, id) {
    var grid = document.getElementById("media-grid-list");
    if (!grid) return;
    var existing = document.getElementById("media-" + id);
    if (existing) {
      existing.classList.remove("fresh");
      void existing.offsetWidth; // restart the highlight animation
      existing.classList.add("fresh");
      return;
    }
    var holder = document.createElement("ul");
    holder.innerHTML = html.trim();
    var tile = holder.firstElementChild;
    if (!tile) return;
    grid.prepend(tile);
    var empty = document.getElementById("media-empty");
    if (empty) empty.remove();
    if (window.htmx) window.htmx.process(tile);
  }

  function next() {
    while (running < PARALLEL && queue.length) {
      running += 1;
      send(queue.shift(), function () {
        running -= 1;
        next();
      });
    }
  }

  function send(job, done) {
    var form = job.form, file = job.file, r = job.row;
    var token = form.querySelector("input[name=csrf_token]");
    var data = new FormData();
    data.append("csrf_token", token ? token.value : "");
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Plume-Upload", "1");
    // Marks it as a script request, so every error (CSRF, 413) comes back as plain text.
    xhr.setRequestHeader("HX-Request", "true");
    if (token) xhr.setRequestHeader("X-CSRFToken", token.value);
    xhr.upload.addEventListener("progress", function (evt) {
      if (!evt.lengthComputable) return;
      var pct = Math.round((100 * evt.loaded) / evt.total);
      r.bar.value = Math.min(pct, 99);
      r.status.textContent = "Uploading " + pct + "%";
    });
    xhr.upload.addEventListener("load", function () {
      r.status.textContent = "Checking the image…";
    });
    xhr.addEventListener("load", function () {
      var message = xhr.getResponseHeader("X-Plume-Message");
      if (xhr.status === 200 || xhr.status === 201) {
        insertTile(xhr.responseText, xhr.getResponseHeader("X-Plume-Media-Id"));
        finish(r, xhr.status === 201 ? "success" : "info", message || "Uploaded.");
      } else {
        var text = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0
          ? xhr.responseText : message;
        finish(r, "error", text || "Upload failed (error " + xhr.status + ").");
      }
      done();
    });
    xhr.addEventListener("error", function () {
      finish(r, "error", "The upload was interrupted. Check your connection and try again.");
      done();
    });
    xhr.send(data);
  }

  function enqueue(form, files) {
    var max = parseInt(form.dataset.maxBytes, 10) || Infinity;
    Array.prototype.forEach.call(files, function (file) {
      var r = row(file);
      // Refuse here what the server would refuse anyway, without sending the bytes.
      if (file.size > max) {
        finish(r, "error", "This file is " + megabytes(file.size) + "; the limit is " + megabytes(max) + ".");
        return;
      }
      queue.push({ form: form, file: file, row: r });
    });
    next();
  }

  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches("#upload-form input[type=file]")) return;
    enqueue(input.form, input.files);
    input.value = "";
  });
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.id !== "upload-form") return;
    evt.preventDefault();
    var input = form.querySelector("input[type=file]");
    enqueue(form, input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (evt) {
      var zone = evt.target.closest && evt.target.closest("#upload-form");
      if (!zone) return;
      evt.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    document.addEventListener(type, function (evt) {
      var zone = evt.target.closest && evt.target.closest("#upload-form");
      if (!zone) return;
      evt.preventDefault();
      zone.classList.remove("dragging");
      if (type === "drop" && evt.dataTransfer && evt.dataTransfer.files.length) {
        enqueue(zone, evt.dataTransfer.files);
      }
    });
  });
})();
