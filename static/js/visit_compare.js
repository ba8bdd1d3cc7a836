// A lesion's visits side by side, zoomed and panned together (zoom_pan.js): the same part of the lesion shows in
// every visit, so a change between them can be seen. The page shows thumbnails; the first zoom loads the full
// images in their place (same shape, so the view does not move).
(() => {
  function sharpen(stages) {
    stages.forEach((stage) => {
      const image = stage.querySelector("img[data-full-src]");
      if (!image) return;
      image.src = image.dataset.fullSrc;
      delete image.dataset.fullSrc;
    });
  }

  function init(root) {
    const groups = new Map();
    root.querySelectorAll("[data-zoom-sync]:not([data-zoom-started])").forEach((stage) => {
      stage.dataset.zoomStarted = "true";
      groups.set(stage.dataset.zoomSync, [...(groups.get(stage.dataset.zoomSync) || []), stage]);
    });
    groups.forEach((stages) => {
      const viewers = [];
      stages.forEach((stage) => {
        const content = stage.querySelector(".visit-content");
        let viewer = null;
        const onChange = (view) => {
          viewers.forEach((other) => other !== viewer && other.set(view));
          if (view.scale > 1) sharpen(stages);
        };
        viewer = globalThis.zoomPan.attach(stage, content, { label: content.querySelector("img").alt, onChange });
        viewers.push(viewer);
        stage.closest("figure").querySelector("figcaption").append(viewer.controls);
      });
    });
  }

  init(document);
})();
