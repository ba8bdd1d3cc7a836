// While the AI works on a case, ask the API for its status and reload the page once it changes.
const pending = document.querySelector("[data-status-url]");
if (pending) {
  const poll = async () => {
    try {
      const response = await fetch(pending.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok && (await response.json()).status !== pending.dataset.status) {
        window.location.reload();
        return;
      }
    } catch (error) { /* offline for a moment: try again */ }
    setTimeout(poll, 4000);
  };
  setTimeout(poll, 4000);
}
