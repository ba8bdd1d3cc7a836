// Warn a minute before the idle sign-out. The server decides when a session ends (dermplatform/accounts/
// sessions.py); this script only asks it how long is left, and "Stay signed in" is a request like any other.
// Its own checks are sent as background requests, so they never keep an idle session alive.
const WARN_BEFORE_S = 60;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function start() {
  const url = document.body.dataset.sessionUrl;
  if (!url) return; // signed out
  let banner = null;
  let timer = null;

  const signedOut = () => window.location.assign(`${document.body.dataset.loginUrl}?next=${encodeURIComponent(window.location.pathname)}`);

  const schedule = (secondsLeft) => {
    clearTimeout(timer);
    if (secondsLeft <= 0) return signedOut();
    if (secondsLeft > WARN_BEFORE_S) {
      hide();
      timer = setTimeout(check, (secondsLeft - WARN_BEFORE_S) * 1000);
    } else {
      show(secondsLeft);
      timer = setTimeout(check, Math.min(secondsLeft, 10) * 1000);
    }
  };

  const ask = async (method) => {
    try {
      const headers = { Accept: "application/json", "X-Session-Activity": method === "GET" ? "background" : "active" };
      if (method === "POST") headers["X-CSRFToken"] = csrfToken();
      const response = await fetch(url, { method, headers, credentials: "same-origin", redirect: "manual" });
      if (!response.ok) return signedOut(); // the server already ended the session
      schedule((await response.json()).seconds_left);
    } catch (error) {
      timer = setTimeout(check, 10000); // offline for a moment: ask again soon
    }
  };
  const check = () => ask("GET");

  const show = (secondsLeft) => {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "session-warning";
      banner.setAttribute("role", "alert");
      banner.dataset.testid = "session-warning";
      const text = document.createElement("span");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Stay signed in";
      button.addEventListener("click", () => ask("POST"));
      banner.append(text, button);
      document.body.prepend(banner);
    }
    banner.querySelector("span").textContent =
      `You will be signed out in ${Math.max(1, Math.round(secondsLeft))} seconds for inactivity.`;
  };
  const hide = () => {
    if (banner) banner.remove();
    banner = null;
  };

  schedule(Number(document.body.dataset.sessionSeconds) || WARN_BEFORE_S + 1);
}

start();
