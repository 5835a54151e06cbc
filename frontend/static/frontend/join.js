// The join link page before the room opens (frontend/templates/frontend/join.html): keeps "Phòng mở lúc …"
// current and goes into the room page by itself once the room is open (with "#vao": the room page then
// enters at once, without another click). It polls the room's status page
// (frontend.views.room_status) every poll_seconds the server says (60 s while the opening is more than
// 10 minutes away, then 10 s), with ±20 % jitter so that many waiting citizens spread out.
"use strict";
(function () {
  const box = document.getElementById("join-opening");
  if (!box || box.dataset.state !== "waiting") return;
  const text = document.getElementById("join-opening-text");
  function watch(seconds) {
    setTimeout(async () => {
      let info = null;
      try {
        const response = await fetch(box.dataset.statusUrl, {credentials: "same-origin"});
        if (response.ok) info = await response.json();
      } catch (e) { /* offline for a moment: ask again */ }
      if (!info) { watch(seconds); return; }
      text.textContent = info.message;
      if (info.state === "open") { window.location.assign(box.dataset.roomUrl + "#vao"); return; }  // enter at once
      if (info.state === "waiting") watch(info.poll_seconds || 10);
    }, Math.max(1, seconds) * 1000 * (0.8 + Math.random() * 0.4));
  }
  watch(Number(box.dataset.poll) || 10);
})();
