// While the AI works on a case, ask the API for its status: every second at first, backing off to every
// five seconds. When it changes, fetch the page again and swap its content in place: the result shows within
// about a second of being written, without a full reload (scroll position and focus are kept).
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 5000;
// Polling is not the person's activity: it must not keep an idle session alive (dermplatform/accounts/sessions.py).
const BACKGROUND = { "X-Session-Activity": "background" };

// No answer by data-slow-at (DERM_AI_SLOW_SECONDS after the upload): show that the AI is slower than usual.
function noteWhenSlow(pending) {
  const note = document.querySelector("[data-testid=ai-slow]");
  const at = Date.parse(pending.dataset.slowAt || "");
  if (!note || Number.isNaN(at)) return;
  setTimeout(() => { note.hidden = false; }, Math.max(0, at - Date.now()));
}

function watch() {
  const pending = document.querySelector("[data-status-url]");
  if (!pending) return;
  noteWhenSlow(pending);
  let delay = FIRST_DELAY_MS;
  const poll = async () => {
    try {
      const response = await fetch(pending.dataset.statusUrl, { headers: { Accept: "application/json", ...BACKGROUND }, credentials: "same-origin" });
      if (response.ok && (await response.json()).status !== pending.dataset.status) {
        await refresh();
        return;
      }
    } catch (error) { /* offline for a moment: try again */ }
    delay = Math.min(MAX_DELAY_MS, delay * 1.25);
    setTimeout(poll, delay);
  };
  setTimeout(poll, delay);
}

async function refresh() {
  try {
    const response = await fetch(window.location.href, { headers: BACKGROUND, credentials: "same-origin" });
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("main");
    const main = document.querySelector("main");
    if (!response.ok || !fresh || !main) throw new Error("no page");
    main.replaceWith(fresh);
    watch(); // still waiting for another image's result
  } catch (error) {
    window.location.reload(); // the in-place update failed: a plain reload still shows the result
  }
}

watch();
