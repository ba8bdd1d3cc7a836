// Drag and drop onto the upload form: dropped files go into its file input.
document.querySelectorAll("form[data-dropzone]").forEach((form) => {
  const zone = form.querySelector(".dropzone");
  const input = form.querySelector("input[type=file]");
  ["dragenter", "dragover"].forEach((type) =>
    zone.addEventListener(type, (event) => { event.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((type) =>
    zone.addEventListener(type, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    input.files = event.dataTransfer.files;
    zone.querySelector("p").textContent = `${input.files.length} file(s) ready to upload`;
  });
});
