// The media item page: click to set the focal point, drag a crop box, and refresh the
// renditions when "render all" finishes. The forms work without this script (typed numbers);
// this only fills them in from the pointer and submits them.
(function () {
  "use strict";
  if (window.plumeMediaEditor) return; // the script is re-run by boosted navigation
  window.plumeMediaEditor = true;

  function clamp(v, lo, hi) {
    return Math.min(hi, Math.max(lo, v));
  }

  function submit(form) {
    if (form.requestSubmit) form.requestSubmit();
    else form.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
  }

  // Focal point: a click anywhere on the picture.
  document.addEventListener("click", function (evt) {
    var picker = evt.target.closest && evt.target.closest(".focal-picker.editable");
    if (!picker) return;
    var form = document.getElementById("focal-form");
    if (!form) return;
    var rect = picker.getBoundingClientRect();
    var x = clamp((evt.clientX - rect.left) / rect.width, 0, 1);
    var y = clamp((evt.clientY - rect.top) / rect.height, 0, 1);
    form.elements.focal_x.value = (x * 100).toFixed(1);
    form.elements.focal_y.value = (y * 100).toFixed(1);
    var marker = picker.querySelector(".focal-marker");
    if (marker) {
      marker.style.left = x * 100 + "%";
      marker.style.top = y * 100 + "%";
    }
    submit(form);
  });

  // Crop box: drag to move, drag the corner handle to resize at the preset's aspect.
  // `aspect` is width% / height% of the box in the picture's own percentages.
  function cropState(box) {
    var editor = box.closest(".crop-editor");
    var form = editor && editor.querySelector(".crop-form");
    return {
      editor: editor,
      form: form,
      aspect: parseFloat(editor.dataset.aspect) || 1,
      stage: box.parentElement,
    };
  }

  function read(box) {
    return {
      left: parseFloat(box.style.left) || 0,
      top: parseFloat(box.style.top) || 0,
      width: parseFloat(box.style.width) || 100,
      height: parseFloat(box.style.height) || 100,
    };
  }

  function write(box, form, r) {
    box.style.left = r.left + "%";
    box.style.top = r.top + "%";
    box.style.width = r.width + "%";
    box.style.height = r.height + "%";
    if (!form) return;
    ["left", "top", "width", "height"].forEach(function (k) {
      form.elements[k].value = r[k].toFixed(2);
    });
  }

  function fit(r, aspect) {
    // Keep the box inside the picture and at the preset's shape.
    var width = clamp(r.width, 2, 100);
    var height = width / aspect;
    if (height > 100) {
      height = 100;
      width = height * aspect;
    }
    return {
      left: clamp(r.left, 0, 100 - width),
      top: clamp(r.top, 0, 100 - height),
      width: width,
      height: height,
    };
  }

  var drag = null;
  document.addEventListener("pointerdown", function (evt) {
    var box = evt.target.closest && evt.target.closest(".crop-box");
    if (!box) return;
    var state = cropState(box);
    var rect = state.stage.getBoundingClientRect();
    drag = {
      box: box,
      state: state,
      rect: rect,
      start: read(box),
      x: evt.clientX,
      y: evt.clientY,
      resize: evt.target.classList.contains("crop-handle"),
    };
    box.setPointerCapture(evt.pointerId);
    evt.preventDefault();
  });
  document.addEventListener("pointermove", function (evt) {
    if (!drag) return;
    var dx = ((evt.clientX - drag.x) / drag.rect.width) * 100;
    var dy = ((evt.clientY - drag.y) / drag.rect.height) * 100;
    var s = drag.start, r;
    if (drag.resize) {
      var width = Math.max(s.width + dx, (s.height + dy) * drag.state.aspect);
      width = Math.min(width, 100 - s.left, (100 - s.top) * drag.state.aspect);
      r = fit({ left: s.left, top: s.top, width: width }, drag.state.aspect);
    } else {
      r = fit({ left: s.left + dx, top: s.top + dy, width: s.width }, drag.state.aspect);
    }
    write(drag.box, drag.state.form, r);
  });
  document.addEventListener("pointerup", function () {
    drag = null;
  });
  document.addEventListener("keydown", function (evt) {
    var box = evt.target.closest && evt.target.closest(".crop-box");
    if (!box) return;
    var step = evt.shiftKey ? 5 : 1;
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    var move = moves[evt.key];
    if (!move) return;
    evt.preventDefault();
    var state = cropState(box);
    var r = read(box);
    write(box, state.form, fit({ left: r.left + move[0], top: r.top + move[1], width: r.width }, state.aspect));
  });
  // Typed numbers move the box too, so what is saved is what is shown.
  document.addEventListener("input", function (evt) {
    var form = evt.target.closest && evt.target.closest(".crop-form");
    if (!form) return;
    var box = form.closest(".crop-editor").querySelector(".crop-box");
    var v = function (k) { return parseFloat(form.elements[k].value); };
    if ([v("left"), v("top"), v("width"), v("height")].some(isNaN)) return;
    box.style.left = v("left") + "%";
    box.style.top = v("top") + "%";
    box.style.width = v("width") + "%";
    box.style.height = v("height") + "%";
  });

  // When "render all" finishes, show the finished renditions.
  // (htmx:load fires for the progress fragment each time it replaces itself.)
  document.addEventListener("htmx:load", function (evt) {
    var job = evt.detail.elt;
    if (!job || !job.matches || !job.matches("#render-job .job.finished")) return;
    var editor = document.getElementById("media-editor");
    if (!editor || !window.htmx) return;
    window.htmx.ajax("GET", editor.dataset.itemUrl, {
      target: "#media-editor",
      select: "#media-editor",
      swap: "outerHTML",
    });
  });
})();
