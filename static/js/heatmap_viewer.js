// The heat-map as an overlay on its image, with on/off and opacity controls, zoom and pan (zoom_pan.js).
//
// The heat-map is drawn on the image as the model saw it: turned upright to the model's orientation (a quarter
// turn counter-clockwise when the orientations differ), scaled to cover the model's input and centre-cropped
// (ml.serving.preprocessing.preprocess_image). The original is placed the same way under it, so that each heat-map
// pixel lies over the image pixel it explains. Without this script the two pictures stay side by side.
const DEFAULT_OPACITY = 60;

function place(base, overlay, stage) {
  const [iw, ih] = [base.naturalWidth, base.naturalHeight];
  const [mw, mh] = [overlay.naturalWidth, overlay.naturalHeight];
  const rotate = ih > iw !== mh > mw && ih !== iw;
  const [rw, rh] = rotate ? [ih, iw] : [iw, ih];
  const scale = Math.max(mw / rw, mh / rh);
  stage.style.aspectRatio = `${mw} / ${mh}`;
  // Sizes before the turn, in percent of the stage (which is the model's input, mw × mh).
  base.style.width = `${((iw * scale) / mw) * 100}%`;
  base.style.height = `${((ih * scale) / mh) * 100}%`;
  base.style.transform = `translate(-50%, -50%)${rotate ? " rotate(-90deg)" : ""}`;
}

const toggles = [];

// The H key shows or hides the heat-maps, unless the user is typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.key.toLowerCase() !== "h" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  toggles.filter((toggle) => toggle.isConnected).forEach((toggle) => {
    toggle.checked = !toggle.checked;
    toggle.dispatchEvent(new Event("change"));
  });
});

function control(labelText, input) {
  const label = document.createElement("label");
  // A checkbox reads after its box, a slider after its name.
  if (input.type === "checkbox") label.append(input, ` ${labelText}`);
  else label.append(`${labelText} `, input);
  return label;
}

function build(viewer) {
  const base = viewer.querySelector("[data-viewer-base]");
  const overlay = viewer.querySelector("[data-testid=heatmap]");
  const figure = overlay.closest("figure");
  const stage = document.createElement("div");
  stage.className = "viewer-stage";
  // Image and heat-map move together in one box: they stay registered at every zoom.
  const content = document.createElement("div");
  base.classList.add("viewer-base");
  overlay.classList.add("viewer-overlay");
  content.append(base, overlay);
  stage.append(content);
  figure.prepend(stage);
  const zoom = globalThis.zoomPan.attach(stage, content, { label: "Image and heat-map" });

  // Off where the page asks for it (the review page: the clean image first), on elsewhere.
  const toggle = Object.assign(document.createElement("input"), {
    type: "checkbox", checked: viewer.dataset.heatmapDefault !== "off",
  });
  toggle.dataset.testid = "heatmap-toggle";
  toggle.setAttribute("aria-keyshortcuts", "H");
  toggles.push(toggle);
  const opacity = Object.assign(document.createElement("input"), { type: "range", min: 0, max: 100, value: DEFAULT_OPACITY });
  opacity.dataset.testid = "heatmap-opacity";
  opacity.setAttribute("aria-label", "Heat-map opacity");
  const apply = () => {
    overlay.hidden = !toggle.checked;
    opacity.disabled = !toggle.checked;
    overlay.style.opacity = String(opacity.value / 100);
  };
  toggle.addEventListener("change", apply);
  opacity.addEventListener("input", apply);
  const controls = document.createElement("div");
  controls.className = "viewer-controls";
  controls.append(control("Heat-map (H)", toggle), control("Opacity", opacity), zoom.controls);
  figure.append(controls);
  place(base, overlay, stage);
  apply();
  viewer.classList.add("viewer");
  viewer.dataset.viewerReady = "true";
}

function loaded(image) {
  return image.complete && image.naturalWidth > 0
    ? Promise.resolve()
    : new Promise((resolve, reject) => {
        image.addEventListener("load", resolve, { once: true });
        image.addEventListener("error", reject, { once: true });
      });
}

function init(root) {
  root.querySelectorAll("[data-heatmap-viewer]:not([data-viewer-started])").forEach((viewer) => {
    viewer.dataset.viewerStarted = "true";
    const images = [viewer.querySelector("[data-viewer-base]"), viewer.querySelector("[data-testid=heatmap]")];
    // Both sizes are needed to place the image; a picture that fails to load leaves the side-by-side view.
    Promise.all(images.map(loaded)).then(() => build(viewer), () => {});
  });
}

init(document);
// The case page swaps its content in place when the AI finishes (case_status.js): set up the new viewers too.
new MutationObserver(() => init(document)).observe(document.body, { childList: true, subtree: true });
