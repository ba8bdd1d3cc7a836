// Zoom and pan for a picture stage: buttons, mouse wheel and pinch about the pointer, drag to pan (pointer events:
// mouse, pen and touch alike), and the keyboard (+, -, 0 and the arrow keys while the stage has focus).
//
// Everything the stage shows sits in one content box that is transformed as a whole, so pictures stacked in it
// (an image and its heat-map) stay registered at every zoom. The view is kept in fractions of the stage's size:
// a resize keeps what is shown, and the picture can never be dragged out of the stage.
(() => {
  const MAX_SCALE = 8;
  const BUTTON_STEP = 1.5;
  const KEY_PAN = 0.1; // of the stage, per arrow key press
  const WHEEL_RATE = 0.002; // scale factor per wheel pixel: e^(-deltaY * rate)

  function button(text, label, testid) {
    const element = Object.assign(document.createElement("button"), { type: "button", textContent: text, className: "zoom-button" });
    element.setAttribute("aria-label", label);
    element.title = label;
    element.dataset.testid = testid;
    return element;
  }

  // stage: the clipping box (focusable); content: the box inside it that moves. Returns the controls and the view's
  // operations; `onChange(view)` is told of every change (a lesion's visits follow one another's view with it).
  function attach(stage, content, { label = "Image", onChange = () => {} } = {}) {
    let view = { scale: 1, x: 0, y: 0 }; // content's top-left corner, in stage widths and heights (≤ 0)
    const zoomIn = button("+", "Zoom in", "zoom-in");
    const zoomOut = button("\u2212", "Zoom out", "zoom-out");
    const reset = button("Reset", "Reset zoom", "zoom-reset");
    const level = document.createElement("output");
    level.dataset.testid = "zoom-level";
    level.setAttribute("aria-live", "polite");
    const controls = document.createElement("span");
    controls.className = "zoom-controls";
    controls.setAttribute("role", "group");
    controls.setAttribute("aria-label", "Zoom");
    controls.append(zoomOut, level, zoomIn, reset);

    stage.tabIndex = 0;
    stage.setAttribute("role", "group");
    stage.setAttribute("aria-label", `${label}: + and - zoom, arrow keys move, 0 resets`);
    stage.classList.add("zoom-stage");
    content.classList.add("zoom-content");
    content.querySelectorAll("img").forEach((img) => { img.draggable = false; });

    function show(next, notify = true) {
      const scale = Math.min(MAX_SCALE, Math.max(1, next.scale));
      // The content (scale × the stage) always covers the stage: its corner lies between 1 - scale and 0.
      const clamp = (value) => Math.min(0, Math.max(1 - scale, value));
      view = { scale, x: clamp(next.x), y: clamp(next.y) };
      content.style.transform = `translate(${view.x * 100}%, ${view.y * 100}%) scale(${view.scale})`;
      stage.classList.toggle("zoomed", view.scale > 1);
      level.value = `${Math.round(view.scale * 100)}%`;
      zoomOut.disabled = reset.disabled = view.scale <= 1;
      zoomIn.disabled = view.scale >= MAX_SCALE;
      if (notify) onChange({ ...view });
    }

    // Zoom by `factor` keeping the stage point (u, v), in fractions of the stage, where it is.
    function zoomAt(factor, u = 0.5, v = 0.5) {
      const scale = Math.min(MAX_SCALE, Math.max(1, view.scale * factor));
      const ratio = scale / view.scale;
      show({ scale, x: u - (u - view.x) * ratio, y: v - (v - view.y) * ratio });
    }

    const panBy = (du, dv) => show({ ...view, x: view.x + du, y: view.y + dv });

    function fraction(event) {
      const box = stage.getBoundingClientRect();
      return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    }

    zoomIn.addEventListener("click", () => zoomAt(BUTTON_STEP));
    zoomOut.addEventListener("click", () => zoomAt(1 / BUTTON_STEP));
    reset.addEventListener("click", () => show({ scale: 1, x: 0, y: 0 }));

    stage.addEventListener("wheel", (event) => {
      if (event.deltaY > 0 && view.scale <= 1) return; // nothing to zoom out of: the page scrolls on
      event.preventDefault();
      const pixels = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY; // lines (Firefox) to pixels
      zoomAt(Math.exp(-pixels * WHEEL_RATE), ...fraction(event));
    }, { passive: false });

    // One pointer pans; two pinch (zoom about their midpoint, and pan as it moves).
    const pointers = new Map();
    const centre = () => {
      const points = [...pointers.values()];
      const x = points.reduce((sum, p) => sum + p.clientX, 0) / points.length;
      const y = points.reduce((sum, p) => sum + p.clientY, 0) / points.length;
      const spread = points.length > 1 ? Math.hypot(points[0].clientX - points[1].clientX, points[0].clientY - points[1].clientY) : 0;
      return { clientX: x, clientY: y, spread };
    };
    stage.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest("button")) return;
      stage.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, event);
      stage.classList.add("dragging");
    });
    stage.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId)) return;
      const before = centre();
      pointers.set(event.pointerId, event);
      const after = centre();
      if (pointers.size > 1 && before.spread > 0) zoomAt(after.spread / before.spread, ...fraction(before));
      const box = stage.getBoundingClientRect();
      panBy((after.clientX - before.clientX) / box.width, (after.clientY - before.clientY) / box.height);
    });
    const release = (event) => {
      pointers.delete(event.pointerId);
      if (!pointers.size) stage.classList.remove("dragging");
    };
    stage.addEventListener("pointerup", release);
    stage.addEventListener("pointercancel", release);

    const KEYS = {
      "+": () => zoomAt(BUTTON_STEP), "=": () => zoomAt(BUTTON_STEP), "-": () => zoomAt(1 / BUTTON_STEP),
      "0": () => show({ scale: 1, x: 0, y: 0 }),
      // An arrow moves the view that way: the picture slides the other way.
      ArrowLeft: () => panBy(KEY_PAN, 0), ArrowRight: () => panBy(-KEY_PAN, 0),
      ArrowUp: () => panBy(0, KEY_PAN), ArrowDown: () => panBy(0, -KEY_PAN),
    };
    stage.addEventListener("keydown", (event) => {
      const key = event.key === "_" ? "-" : event.key;
      if (!KEYS[key] || event.altKey || event.ctrlKey || event.metaKey) return;
      if (key.startsWith("Arrow") && view.scale <= 1) return; // nothing to move: the page scrolls
      event.preventDefault();
      KEYS[key]();
    });

    show(view, false);
    return { controls, zoomAt, panBy, view: () => ({ ...view }), set: (next) => show(next, false) };
  }

  globalThis.zoomPan = { attach };
})();
