// The minutes editor's autosave (docs/minutes.md): every changed field is sent on its own, with the version
// it was edited from, a few seconds after the last keystroke. The server merges concurrent edits of the same
// text (both texts kept, marked) and answers 409 for a single value changed by someone else meanwhile.
// Other editors' saves are picked up by polling the minutes every 10 s. Without this script the page's
// "Lưu" button posts the same fields.
"use strict";
(function () {
  // Irreversible actions ask first (issue 11): forms with data-confirm, e.g. locking the minutes.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  const app = document.getElementById("minutes-app");
  if (!app || app.dataset.state !== "draft") return;
  const api = app.dataset.api;
  const statusBox = document.getElementById("save-status");
  const csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  const dirty = new Set();
  let saving = false;
  const L = document.documentElement.lang === "en"
    ? {saved: "Saved", saving: "Saving…", merged: "Someone else edited this at the same time: both texts were kept, please review.",
       conflict: "Changed by someone else meanwhile; their value is shown, yours was kept in the history.", offline: "Not saved (no connection): retrying…"}
    : {saved: "Đã lưu", saving: "Đang lưu…", merged: "Có người sửa cùng lúc: nội dung của cả hai đã được giữ lại, hãy xem lại.",
       conflict: "Người khác vừa sửa trường này; đang hiển thị giá trị của họ, giá trị của bạn được lưu trong lịch sử.", offline: "Chưa lưu được (mất kết nối): đang thử lại…"};

  const controls = Array.from(app.querySelectorAll("[data-field]"));
  const key = (el) => el.dataset.scope + ":" + el.dataset.field;
  function value(el) {
    if (el.type === "checkbox") return el.checked;
    if (el.dataset.kind === "documents") {
      return el.value.split("\n").map((line) => line.split(";").map((p) => p.trim())).filter((p) => p[0])
        .map((p) => ({title: p[0], pages: !p[1] ? null : (/^\d+$/.test(p[1]) ? Number(p[1]) : p[1]), condition: p.slice(2).join("; ")}));
    }
    return el.value;
  }
  function show(el, v) {
    if (el.type === "checkbox") el.checked = !!v;
    else if (el.dataset.kind === "documents") el.value = (v || []).map((d) => [d.title, d.pages || "", d.condition].join("; ").replace(/(; )+$/, "")).join("\n");
    else el.value = v == null ? "" : v;
  }
  function setVersion(el, version) {
    el.dataset.version = version;
    const hidden = app.querySelector(`input[name="v:${el.dataset.scope}:${el.dataset.field}"]`);
    if (hidden) hidden.value = version;
  }
  controls.forEach((el) => el.addEventListener(el.type === "checkbox" || el.tagName === "SELECT" ? "change" : "input",
                                                () => dirty.add(el)));

  async function save(el) {
    const url = el.dataset.scope === "h" ? api : `${api}sections/${el.dataset.scope}/`;
    const sent = value(el);
    const body = {field: el.dataset.field, base_version: Number(el.dataset.version)};
    body[typeof sent === "string" ? "text" : "value"] = sent;
    const response = await fetch(url, {method: "PATCH", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(body)});
    const data = await response.json().catch(() => ({}));
    if (response.ok) {
      setVersion(el, data.version);
      if (data.outcome === "merged" && !dirty.has(el)) { show(el, data.value); statusBox.textContent = L.merged; }
      return true;
    }
    if (response.status === 409 && data.error && data.error.type === "edit_conflict") {
      setVersion(el, data.version);
      show(el, data.value);
      statusBox.textContent = L.conflict;
      return true;
    }
    statusBox.textContent = (data.error && data.error.message) || L.offline;
    return response.status >= 400 && response.status < 500;  // a refusal is final; a network error retries
  }

  async function flush() {
    if (saving || !dirty.size) return;
    saving = true;
    statusBox.textContent = L.saving;
    try {
      for (const el of Array.from(dirty)) {
        dirty.delete(el);
        if (!(await save(el))) dirty.add(el);
      }
      if (statusBox.textContent === L.saving) statusBox.textContent = L.saved + " " + new Date().toLocaleTimeString();
    } catch (e) {
      statusBox.textContent = L.offline;
    } finally {
      saving = false;
    }
  }

  async function refresh() {  // the other editors' saves: fields this editor is not touching follow the server
    if (saving || dirty.size) return;
    const response = await fetch(api, {credentials: "same-origin"}).catch(() => null);
    if (!response || !response.ok) return;
    const data = await response.json();
    if (data.state !== "draft") { location.reload(); return; }
    for (const el of controls) {
      const scope = el.dataset.scope === "h" ? data : (data.sections || []).find((s) => String(s.id) === el.dataset.scope);
      if (!scope || dirty.has(el) || document.activeElement === el) continue;
      const version = (scope.versions || {})[el.dataset.field] || 0;
      if (version > Number(el.dataset.version)) { show(el, scope[el.dataset.field]); setVersion(el, version); }
    }
  }

  document.getElementById("minutes-form").addEventListener("submit", (event) => { event.preventDefault(); flush(); });
  setInterval(flush, 3000);
  setInterval(refresh, 10000);
  window.addEventListener("beforeunload", (event) => { if (dirty.size) { flush(); event.preventDefault(); } });
  window.minutesEditor = {flush, dirty};  // for the browser test
})();
