// Keeps the server-rendered countdowns of "my registrations" current (every 30 s). Without this script the
// page still shows the time left as rendered by the server. Units come from Intl (the page's language);
// the sentence comes from the page (data-template, gettext on the server). Corrected for clock skew.
"use strict";
(function () {
  const box = document.querySelector("[data-countdowns]");
  if (!box || !window.Intl || !Intl.NumberFormat) return;
  const nodes = box.querySelectorAll("[data-countdown]");
  if (!nodes.length) return;
  const lang = document.documentElement.lang || "vi";
  const skew = (Date.parse(box.dataset.serverNow) || Date.now()) - Date.now();
  let unit;
  try {
    const formats = {};
    unit = (n, u) => (formats[u] = formats[u] || new Intl.NumberFormat(lang, {style: "unit", unit: u, unitDisplay: "long"})).format(n);
    unit(1, "day");
  } catch (e) { return; }
  function left(ms) {
    const minutes = Math.max(1, Math.ceil(ms / 60000));
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) return h ? unit(d, "day") + " " + unit(h, "hour") : unit(d, "day");
    if (h) return m ? unit(h, "hour") + " " + unit(m, "minute") : unit(h, "hour");
    return unit(m, "minute");
  }
  function tick() {
    const now = Date.now() + skew;
    nodes.forEach((node) => {
      const ms = Date.parse(node.dataset.countdown) - now, out = node.querySelector(".countdown-text");
      out.textContent = ms > 0 ? box.dataset.template.replace("%(left)s", left(ms)) : box.dataset.started;
      node.classList.toggle("countdown-now", ms <= 0);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
