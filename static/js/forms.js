// After a failed form, put the keyboard (and a screen reader) on the first error instead of the page top.
// Django marks fields with errors aria-invalid; a form's own errors come first; a summary carries data-first-error.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector('[data-first-error], main [aria-invalid="true"], main .errorlist.nonfield');
  if (!first) return;
  if (first.tabIndex < 0 && !first.hasAttribute("tabindex")) first.tabIndex = -1;  // a list is not focusable
  first.focus();
});
