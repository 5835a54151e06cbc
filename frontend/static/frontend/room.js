// The live room in the browser: docs/protocol.md (room socket) and docs/media.md (peer connections with
// the media server). No framework; every string shown comes from the page (gettext, Vietnamese first).
"use strict";
(function () {
  const app = document.getElementById("room-app");
  if (!app) return;
  const T = JSON.parse(document.getElementById("room-labels").textContent);
  const $ = (id) => document.getElementById(id);
  const sessionId = app.dataset.session, token = app.dataset.token;
  const store = window.localStorage, resumeKey = "room-resume-" + sessionId;
  const state = {ws: null, me: null, role: null, lastSeq: 0, iceServers: [], local: null, pcs: {},
                 tiles: {}, participants: {}, names: {}, recording: false, locked: false, final: false, retry: 0,
                 pingTimer: null, entered: false, mediaReady: false, mediaTimer: null, micOn: true,
                 mutedByHost: false, videoStoppedByHost: false, unmuteRequested: false,
                 weak: {}, videoFrom: null, uplinkVideo: true};
  window.roomState = state;  // for the browser test and for support staff debugging a call

  function fmt(text, values) { return text.replace(/%\((\w+)\)s/g, (_, k) => values[k]); }
  function status(text) { $("room-status").textContent = text; }
  // Screen readers hear what happens in the room (issue 17): arrivals in the lobby, admissions, mutes and the
  // end, through one polite live region (#announcer). Messages of the same moment are read together.
  let pending = [], flushTimer = null;
  function announce(text) {
    if (!text) return;
    pending.push(text);
    clearTimeout(flushTimer);
    flushTimer = setTimeout(() => {
      const region = $("announcer");
      region.textContent = "";
      const line = pending.join(" ");
      pending = [];
      setTimeout(() => { region.textContent = line; }, 50);  // a change, even when the words repeat
    }, 100);
  }
  // Lists are rebuilt on every update: keep the keyboard focus on the same control (same person, same
  // action), or on the list's heading when that control is gone (the person was admitted, left…).
  function focusKey() {
    const el = document.activeElement;
    const item = el && el.closest && el.closest("li[data-pid]");
    return item ? {pid: item.dataset.pid, action: el.dataset.action || "", kind: el.dataset.kind || ""} : null;
  }
  function restoreFocus(list, key, fallback) {
    if (!key) return;
    const again = list.querySelector(`li[data-pid="${CSS.escape(key.pid)}"] [data-action="${key.action}"]` +
                                     (key.kind ? `[data-kind="${key.kind}"]` : ""));
    const target = again || list.querySelector("button") || $(fallback);
    if (target) target.focus();
  }
  function show(id, on) { $(id).hidden = !on; }
  function myRole() { return (state.participants[state.me] || {}).role || state.role; }
  // The server's own permission table (accounts.permissions.ROOM_ACTIONS), sent with the page: a button
  // shows only for a role the room will accept it from.
  function may(command) { return (T.may[command] || []).includes(myRole()); }
  function nameOf(p) { return p.name || state.names[p.pid] || (p.role === "citizen" ? T.citizen : ""); }
  function siteName(code) { return T.sites[code] || code || ""; }

  // --- Devices -------------------------------------------------------------------------------------------
  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const [select, kind] of [[$("camera"), "videoinput"], [$("microphone"), "audioinput"]]) {
      select.innerHTML = "";
      for (const d of devices.filter((d) => d.kind === kind)) {
        const option = new Option(d.label || d.deviceId.slice(0, 8), d.deviceId);
        option.selected = d.deviceId === store.getItem("room-" + kind);
        select.add(option);
      }
    }
  }
  async function openDevices() {
    if (state.local) state.local.getTracks().forEach((t) => t.stop());
    const audioOnly = $("audio-only").checked;
    store.setItem("room-audio-only", audioOnly ? "1" : "");
    const cam = $("camera").value, mic = $("microphone").value;
    if (cam) store.setItem("room-videoinput", cam);
    if (mic) store.setItem("room-audioinput", mic);
    try {
      state.local = await navigator.mediaDevices.getUserMedia({
        audio: mic ? {deviceId: mic} : true,
        video: audioOnly ? false : (cam ? {deviceId: cam, width: 640, height: 360} : {width: 640, height: 360}),
      });
    } catch (e) {
      state.local = null;
      status(T.no_devices);
    }
    $("preview").srcObject = state.local;
    $("local").srcObject = state.local;
    applyLocalTracks();
  }
  // The microphone sends sound only while the participant's own switch is on and no host mute is in force
  // (the media server also enforces the mute; this keeps the page honest about it).
  function applyLocalTracks() {
    if (state.local) {
      state.local.getAudioTracks().forEach((t) => { t.enabled = state.micOn && !state.mutedByHost; });
      state.local.getVideoTracks().forEach((t) => { t.enabled = !state.videoStoppedByHost; });
    }
    const on = state.micOn && !state.mutedByHost;
    state.micLive = on;
    $("mic-toggle").textContent = on ? T.mic_turn_off : T.mic_on;
    $("mic-toggle").setAttribute("aria-pressed", on ? "false" : "true");
    $("mic-state").textContent = state.mutedByHost ? T.muted_by_host : (on ? T.mic_is_on : T.mic_is_off);
  }
  $("audio-only").checked = $("audio-only-room").checked = !!store.getItem("room-audio-only");
  $("camera").onchange = $("microphone").onchange = $("audio-only").onchange = openDevices;
  // In the room the switch takes effect at once: the camera stops, and a new publish offer makes the media
  // server renegotiate every subscription, which this page then answers without video (docs/media.md).
  $("audio-only-room").onchange = async () => {
    $("audio-only").checked = $("audio-only-room").checked;
    await openDevices();
    if (state.ws && state.ws.readyState === WebSocket.OPEN) publish();
  };
  $("speaker-test").onclick = () => {
    const ctx = new AudioContext(), osc = ctx.createOscillator();
    osc.frequency.value = 440; osc.connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.6);
  };

  // --- Socket --------------------------------------------------------------------------------------------
  // Frames recently sent, by id: a server answering ``busy`` (overloaded; nothing applied) gets the same frame
  // again after ``retry_after`` seconds, while the page says "Đang kết nối…".
  const sent = new Map();
  let frameNumber = 0;
  function send(frame) {
    if (!(state.ws && state.ws.readyState === WebSocket.OPEN)) return;
    if (frame.id === undefined && frame.type !== "ping") frame = {...frame, id: "f" + (++frameNumber)};
    if (frame.id !== undefined) {
      sent.set(frame.id, frame);
      if (sent.size > 100) sent.delete(sent.keys().next().value);
    }
    state.ws.send(JSON.stringify({v: 1, ...frame}));
  }
  function retryBusy(f) {
    const frame = sent.get(f.reply_to);
    if (!frame) return;
    const shown = $("room-status").textContent;
    status(T.connecting);
    const delay = 1000 * (((f.details || {}).retry_after || 1) + Math.random());
    setTimeout(() => { if ($("room-status").textContent === T.connecting) status(shown); send(frame); }, delay);
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = new URLSearchParams({lang: document.documentElement.lang || "vi"});  // refusals in the page's language
    if (token) query.set("token", token);
    const url = `${scheme}://${location.host}/ws/sessions/${sessionId}/?${query}`;
    const ws = state.ws = new WebSocket(url);
    ws.onopen = () => {
      state.retry = 0;
      const hello = {type: "hello"};
      const resume = store.getItem(resumeKey);
      if (resume) { hello.resume_token = resume; hello.last_seq = state.lastSeq; }
      send(hello);
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(() => send({type: "ping", id: "p"}), 15000);
    };
    ws.onmessage = (event) => onFrame(JSON.parse(event.data));
    ws.onclose = (event) => {
      clearInterval(state.pingTimer);
      if (event.code === 4409 && !state.final) {  // not open (yet): wait for it, then enter by itself
        state.entered = false; show("opening", true); show("precheck", true); show("lobby", false);
        $("enter").disabled = true; watchOpening(1);
        return;
      }
      if (state.final || [4401, 4403, 4404].includes(event.code)) return;
      status(T.reconnecting);
      state.retry = Math.min(state.retry + 1, 6);
      setTimeout(connect, 500 * 2 ** state.retry);  // resume: same place, no new admission
    };
  }

  function onFrame(f) {
    if (typeof f.seq === "number") state.lastSeq = Math.max(state.lastSeq, f.seq);
    switch (f.type) {
      case "welcome": case "waiting": case "admitted": case "snapshot":
        if (f.resume_token) store.setItem(resumeKey, f.resume_token);
        applySnapshot(f.snapshot);
        if (f.type === "welcome" && f.resumed) {  // back in the room: offer again if our media did not survive
          const pc = state.pcs.publish;
          if (!pc || ["failed", "closed"].includes(pc.connectionState)) publish();
        }
        break;
      case "lobby.position": $("position").textContent = fmt(T.waiting, {n: f.position}); break;
      case "lobby.updated": renderLobby(f.lobby, true); break;
      case "participant.joined": case "participant.updated": {
        const before = state.participants[f.participant.pid];
        updateParticipant(f.participant); renderTile(f.participant.pid); renderPeople();
        const p = f.participant, name = nameOf(p);
        if (p.pid !== state.me && p.status === "admitted" && (!before || before.status !== "admitted")) {
          announce(fmt(T.announce_admitted, {name}));
        }
        if (p.pid !== state.me && p.muted_by_host && !(before && before.muted_by_host)) {
          announce(fmt(T.announce_muted, {name}));
        }
        break;
      }
      case "participant.left": {
        const gone = state.participants[f.pid];
        delete state.participants[f.pid]; closeSub(f.pid); renderPeople();
        if (gone && gone.status === "admitted") announce(fmt(T.announce_left, {name: nameOf(gone)}));
        break;
      }
      case "muted":
        announce(f.kind === "audio" ? T.muted_by_host : T.video_stopped_by_host);
        if (f.kind === "audio") state.mutedByHost = true; else state.videoStoppedByHost = true;
        state.unmuteRequested = false; show("unmute-request", false); applyLocalTracks(); break;
      case "unmute_requested":  // a request only: the microphone stays off until the participant says yes
        state.unmuteRequested = true;
        $("unmute-request-text").textContent = fmt(T.unmute_requested, {by: f.by || ""});
        show("unmute-request", true); break;
      case "ack": if ("muted_by_host" in f) {
        state.mutedByHost = f.muted_by_host; state.videoStoppedByHost = !!f.video_stopped_by_host; applyLocalTracks();
      } break;
      case "room.updated": setFlags(f); break;
      case "chat": addMessage(f); break;
      case "pong": if (f.seq > state.lastSeq) send({type: "resync", id: "r", last_seq: state.lastSeq}); break;
      case "refused": case "removed": case "session.ended":
        state.final = true; store.removeItem(resumeKey);
        status(f.type === "refused" ? T.refused : f.type === "removed" ? T.removed : T.ended);
        announce(f.type === "refused" ? T.refused : f.type === "removed" ? T.removed : T.ended);
        Object.keys(state.pcs).forEach(closePc); show("room", false); show("lobby", false);
        clearTimeout(state.mediaTimer);
        break;
      case "media.ready": state.mediaReady = true; show("media-status", false); publish(); break;
      case "rtc.answer": if (state.pcs.publish) state.pcs.publish.setRemoteDescription({type: "answer", sdp: opusFecDtx(f.sdp)}).then(() => capSenders(state.pcs.publish)); break;
      case "rtc.offer": subscribe(f); break;
      case "rtc.closed": closeSub(f.pc.slice(4)); break;
      case "media.quality": onQuality(f); break;
      case "media.uplink": onUplink(f); break;
      case "media.line": state.weak[f.pid] = f.weak; renderPeople(); renderTile(f.pid); break;
      case "error":
        if (f.code === "busy") { retryBusy(f); break; }
        if (f.code === "session_ended") { state.final = true; store.removeItem(resumeKey); status(T.ended); show("precheck", false); break; }
        if (f.code === "session_not_open") break;  // the close (4409) that follows starts waiting for the opening
        if (f.code !== "hello_first") status(fmt(T.error, {message: f.message}));
        break;
    }
  }

  function applySnapshot(s) {
    if (!s) return;
    state.me = s.you; state.role = s.role || state.role;
    setFlags(s);
    const inside = s.status === "admitted";
    show("precheck", false); show("opening", false); show("lobby", !inside); show("room", inside);
    if (inside) status(T.admitted); else $("position").textContent = fmt(T.waiting, {n: s.position || "…"});
    if (inside && !state.wasInside) announce(T.admitted);
    state.wasInside = inside;
    for (const p of s.participants || []) { updateParticipant(p); renderTile(p.pid); }
    const mine = state.participants[state.me];
    if (mine) {
      state.mutedByHost = !!mine.muted_by_host; state.videoStoppedByHost = !!mine.video_stopped_by_host;
      state.unmuteRequested = !!mine.unmute_requested; applyLocalTracks();
    }
    if (s.lobby) renderLobby(s.lobby);
    const commands = ["host.admit", "host.refuse", "host.recording", "host.lock_lobby", "host.end"];
    show("host-controls", commands.some(may));
    document.querySelectorAll("#host-controls [data-command]").forEach((b) => { b.hidden = !may(b.dataset.command); });
    renderPeople();
    if (inside) waitForMedia();
  }
  function updateParticipant(p) {
    if (p.name) state.names[p.pid] = p.name;  // staff learn a citizen's name from the snapshot and the lobby
    state.participants[p.pid] = p;
    if (p.pid === state.me) {
      state.mutedByHost = !!p.muted_by_host; state.videoStoppedByHost = !!p.video_stopped_by_host;
      state.unmuteRequested = !!p.unmute_requested; applyLocalTracks();
    }
  }
  // No media server: say so in plain words (instead of showing only our own tile). With the in-process
  // channel layer and no embedded worker there can be none; otherwise wait for media.ready, and clear the notice when it comes.
  function waitForMedia() {
    if (state.mediaReady || state.mediaTimer) return;
    if (app.dataset.media === "none") { $("media-status").textContent = T.media_none; show("media-status", true); return; }
    state.mediaTimer = setTimeout(() => {
      if (!state.mediaReady && !state.final) { $("media-status").textContent = T.media_waiting; show("media-status", true); }
    }, T.media_wait_seconds * 1000);
  }
  function setFlags(f) {
    if ("recording" in f) { state.recording = f.recording; show("recording", f.recording); }
    if ("lobby_locked" in f) state.locked = f.lobby_locked;
  }

  // --- Media ---------------------------------------------------------------------------------------------
  function newPc() { return new RTCPeerConnection({iceServers: state.iceServers}); }
  function gathered(pc) {  // the media server takes complete SDP only (docs/media.md)
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
      setTimeout(resolve, 3000);
    });
  }
  // What this browser publishes (docs/media.md, "Weak lines"): video capped in bitrate and frame rate (and
  // scaled down on a phone-size screen), from the settings the page carries; audio first.
  async function capSenders(pc) {
    for (const sender of pc.getSenders()) {
      if (!sender.track || !sender.getParameters) continue;
      const params = sender.getParameters();
      if (!params.encodings || !params.encodings.length) params.encodings = [{}];
      const enc = params.encodings[0];
      if (sender.track.kind === "video") {
        enc.maxBitrate = T.video_max_kbps * 1000;
        enc.maxFramerate = T.video_max_fps;
        if (window.innerWidth < 560) enc.scaleResolutionDownBy = T.video_phone_scale;
        enc.priority = "low"; enc.networkPriority = "low";
        enc.active = state.uplinkVideo;
      } else {
        enc.priority = "high"; enc.networkPriority = "high";
      }
      try { await sender.setParameters(params); } catch (e) { /* an older browser: its defaults */ }
    }
  }
  // Opus with in-band FEC and DTX where the browser offers them: the parameters the receiving side asks for.
  function opusFecDtx(sdp) {
    const pt = (sdp.match(/a=rtpmap:(\d+) opus\/48000/i) || [])[1];
    if (!pt) return sdp;
    return sdp.replace(new RegExp("a=fmtp:" + pt + " ([^\r\n]*)"), (line, params) => {
      let p = params;
      if (!/useinbandfec=/.test(p)) p += ";useinbandfec=1";
      if (!/usedtx=/.test(p)) p += ";usedtx=1";
      return "a=fmtp:" + pt + " " + p;
    });
  }
  function lineNotice(text, offerAudioOnly) {
    $("line-status-text").textContent = text;
    $("line-keep-audio").hidden = !offerAudioOnly || $("audio-only-room").checked;
    show("line-status", !!text);
  }
  // The media server took this person's downlink down (or back up): say so, offer to keep sound only.
  function onQuality(f) {
    state.videoFrom = f.level === "full" ? null : (f.video_from || []);
    Object.keys(state.tiles).forEach((pid) => renderTile(pid));
    if (f.level === "full") {
      lineNotice(T.line_full, false);
      setTimeout(() => { if (!state.videoFrom) show("line-status", false); }, 6000);
    } else {
      lineNotice(f.level === "audio" ? T.line_audio : T.line_floor, true);
    }
  }
  // This person's uplink is weak: stop sending the picture (the camera stays on here), keep the voice.
  async function onUplink(f) {
    state.uplinkVideo = !!f.video;
    if (state.pcs.publish) await capSenders(state.pcs.publish);
    if (!f.video) lineNotice(T.uplink_weak, true);
    else if (!state.videoFrom) lineNotice(T.uplink_good, false);
  }
  $("line-keep-audio").onclick = () => {
    $("audio-only-room").checked = true;
    $("audio-only-room").onchange();
    show("line-status", false);
  };
  function closePc(id) { if (state.pcs[id]) { state.pcs[id].close(); delete state.pcs[id]; } }
  async function publish() {
    closePc("publish");
    const pc = state.pcs.publish = newPc();
    if (state.local) state.local.getTracks().forEach((t) => pc.addTransceiver(t, {direction: "sendonly"}));
    else { pc.addTransceiver("audio", {direction: "sendonly"}); }
    pc.onconnectionstatechange = () => { if (pc.connectionState === "failed" && state.pcs.publish === pc) publish(); };
    await capSenders(pc);
    const offer = await pc.createOffer();
    await pc.setLocalDescription({type: "offer", sdp: opusFecDtx(offer.sdp)});
    await gathered(pc);
    send({type: "rtc.offer", pc: "publish", sdp: pc.localDescription.sdp});
  }
  async function subscribe(f) {
    const pid = f.pc.slice(4);
    closePc(f.pc);
    if (f.participant) state.participants[pid] = {...(state.participants[pid] || {}), ...f.participant};
    const pc = state.pcs[f.pc] = newPc();
    const stream = new MediaStream();
    pc.ontrack = (event) => { stream.addTrack(event.track); renderTile(pid, stream); };
    await pc.setRemoteDescription({type: "offer", sdp: f.sdp});
    if ($("audio-only").checked) {  // weak line: refuse the video, so the server sends none
      pc.getTransceivers().filter((t) => t.receiver.track.kind === "video").forEach((t) => { t.direction = "inactive"; });
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    send({type: "rtc.answer", pc: f.pc, sdp: pc.localDescription.sdp});
  }
  function closeSub(pid) {
    closePc("sub:" + pid);
    if (state.tiles[pid]) { state.tiles[pid].remove(); delete state.tiles[pid]; }
  }

  // --- Rendering -----------------------------------------------------------------------------------------
  function renderTile(pid, stream) {
    if (pid === state.me) return;
    const p = state.participants[pid] || {};
    let tile = state.tiles[pid];
    if (!tile && !stream) return;  // tiles appear with media
    if (!tile) {
      tile = state.tiles[pid] = document.createElement("figure");
      tile.className = "tile"; tile.dataset.pid = pid;
      tile.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption><div class="controls"></div>';
      $("tiles").append(tile);
    }
    if (stream) tile.querySelector("video").srcObject = stream;
    // a weak line: the pictures the server no longer sends become sound-only tiles (no frozen picture)
    const sound = state.videoFrom !== null && !state.videoFrom.includes(pid);
    tile.classList.toggle("audio-tile", sound);
    tile.querySelector("video").style.visibility = sound ? "hidden" : "";
    tile.querySelector("figcaption").textContent =
      [p.name || (p.role === "citizen" ? T.citizen : ""), p.site, T.roles[p.role] || p.role,
       state.weak[pid] ? T.line_weak_of : ""]
        .filter((part, index, all) => part && all.indexOf(part) === index).join(" · ");
  }
  // The participant list: name · site · role. Citizens are never named to other citizens (the server sends
  // their name as null; a denouncer may be among them): they show as "Công dân". Staff see names.
  function renderPeople() {
    const list = $("participant-list"), key = list.contains(document.activeElement) ? focusKey() : null;
    list.innerHTML = "";
    const people = Object.values(state.participants).filter((p) => p.status === "admitted" || !p.status);
    people.sort((a, b) => (a.role === "citizen") - (b.role === "citizen") || a.pid.localeCompare(b.pid));
    for (const p of people) {
      const item = document.createElement("li");
      item.dataset.pid = p.pid;
      const label = [nameOf(p) + (p.pid === state.me ? ` (${T.you})` : ""), siteName(p.site), T.roles[p.role] || p.role]
        .filter((part, index, all) => part && all.indexOf(part) === index).join(" · ");
      const text = document.createElement("span");
      text.textContent = label + (p.audio === false ? ` · ${T.mic_off}` : "") +
        (state.weak[p.pid] ? ` · ${T.line_weak_of}` : "");  // the host sees whose line is weak
      item.append(text);
      if (p.pid !== state.me) {
        for (const [command, label, frame, ask] of [
          ["host.mute", T.mute, {type: "host.mute", participant: p.pid, kind: "audio"}],
          ["host.ask_unmute", T.unmute, {type: "host.ask_unmute", participant: p.pid}],
          ["host.mute", T.stop_video, {type: "host.mute", participant: p.pid, kind: "video"}],
          ["host.give_floor", T.give_floor, {type: "host.give_floor", participant: p.pid}],
          ["host.remove", T.remove, {type: "host.remove", participant: p.pid}, fmt(T.confirm_remove, {name: nameOf(p)})]]) {
          if (!may(command)) continue;
          const button = document.createElement("button");
          button.type = "button"; button.textContent = label; button.dataset.action = frame.type;
          if (frame.kind) button.dataset.kind = frame.kind;
          button.setAttribute("aria-label", `${label}: ${nameOf(p) || T.roles[p.role] || ""}`);
          button.onclick = () => { if (!ask || window.confirm(ask)) send(frame); };
          item.append(" ", button);
        }
      }
      list.append(item);
    }
    restoreFocus(list, key, "people-heading");
  }
  function renderLobby(lobby, live) {
    const list = $("waiting-list"), key = list.contains(document.activeElement) ? focusKey() : null;
    const before = new Set(Array.from(list.querySelectorAll("li[data-pid]"), (li) => li.dataset.pid));
    list.innerHTML = "";
    $("waiting-empty").hidden = !!(lobby && lobby.length);
    for (const entry of lobby || []) {
      if (entry.name) state.names[entry.pid] = entry.name;
      if (live && !before.has(entry.pid) && may("host.admit")) {
        announce(fmt(T.announce_waiting, {name: entry.name || T.citizen}));
      }
      const item = document.createElement("li");
      item.dataset.pid = entry.pid;
      item.textContent = (entry.name || T.citizen) + (entry.identity ? ` (${entry.identity}) ` : " ");
      if (may("host.admit")) {
        const admit = document.createElement("button");
        admit.type = "button"; admit.textContent = T.admit; admit.dataset.action = "host.admit";
        admit.setAttribute("aria-label", `${T.admit}: ${entry.name || T.citizen}`);
        admit.onclick = () => send({type: "host.admit", participant: entry.pid});
        item.append(admit);
      }
      if (may("host.refuse")) {
        // The legal ground is chosen explicitly: an empty first option, required; refusing asks first.
        const ground = document.createElement("select");
        ground.required = true; ground.setAttribute("aria-label", T.ground_placeholder);
        ground.add(new Option(T.ground_placeholder, ""));
        for (const [value, label] of Object.entries(T.grounds)) ground.add(new Option(label, value));
        const refuse = document.createElement("button");
        refuse.type = "button"; refuse.textContent = T.refuse; refuse.dataset.action = "host.refuse";
        refuse.setAttribute("aria-label", `${T.refuse}: ${entry.name || T.citizen}`);
        refuse.onclick = () => {
          if (!ground.value) { status(T.ground_required); ground.focus(); return; }
          const ask = fmt(T.confirm_refuse, {name: entry.name || T.citizen, ground: T.grounds[ground.value]});
          if (window.confirm(ask)) send({type: "host.refuse", participant: entry.pid, ground: ground.value});
        };
        item.append(" ", ground, " ", refuse);
      }
      list.append(item);
    }
    restoreFocus(list, key, "waiting-heading");
  }
  function addMessage(f) {
    const item = document.createElement("li");
    item.textContent = `${f.name || state.names[f.from] || T.citizen}: ${f.text}`;  // staff know citizens by pid
    $("messages").append(item);
  }
  $("chat-form").onsubmit = (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text) return;
    const inside = !$("room").hidden;
    send({type: "chat.send", text, to: inside ? "all" : "staff"});
    $("chat-text").value = "";
  };
  $("record-toggle").onclick = () => send({type: "host.recording", on: !state.recording});
  $("lock-toggle").onclick = () => send({type: "host.lock_lobby", locked: !state.locked});
  $("end").onclick = () => { if (window.confirm(T.confirm_end)) send({type: "host.end"}); };
  $("mic-toggle").onclick = () => {
    state.micOn = !(state.micOn && !state.mutedByHost);
    applyLocalTracks();
    send({type: "self.media", id: "mic", audio: state.micOn});
  };
  $("unmute-accept").onclick = () => {  // the participant's own yes: only this turns the microphone back on
    state.micOn = true; show("unmute-request", false);
    const frame = {type: "self.media", id: "unmute", audio: true};
    if (state.videoStoppedByHost) frame.video = true;
    send(frame);
  };

  // --- Before the room opens: when, in words; enter by itself once open -------------------------------------
  // Polls the small status page (frontend.views.room_status) every poll_seconds the server says (60 s when
  // the opening is more than 10 minutes away, then 10 s), with ±20 % jitter so waiting citizens spread out.
  function watchOpening(seconds) {
    clearTimeout(state.openingTimer);
    const delay = Math.max(1, seconds) * 1000 * (0.8 + Math.random() * 0.4);
    state.openingTimer = setTimeout(async () => {
      let info = null;
      try {
        const response = await fetch(app.dataset.statusUrl, {credentials: "same-origin"});
        if (response.ok) info = await response.json();
      } catch (e) { /* offline for a moment: ask again */ }
      if (!info) { watchOpening(seconds); return; }
      $("opening-text").textContent = info.message;
      if (info.state === "open") { show("opening", false); $("enter").disabled = false; enter(); return; }
      if (info.state === "waiting") watchOpening(info.poll_seconds || 10);
      else { show("precheck", false); $("opening-hint") && show("opening-hint", false); }
    }, delay);
  }
  if (app.dataset.opening === "waiting") watchOpening(Number(app.dataset.poll) || 10);
  // Sent here by the join page the moment the room opened: enter without another click.
  if (app.dataset.opening === "open" && location.hash === "#vao") setTimeout(() => enter(), 0);

  async function enter() {
    if (state.entered) return;
    state.entered = true;
    $("enter").disabled = true;
    try {
      const response = await fetch(app.dataset.iceUrl + (token ? `?token=${encodeURIComponent(token)}` : ""),
                                   {credentials: "same-origin"});
      if (response.ok) state.iceServers = (await response.json()).ice_servers;
    } catch (e) { /* no STUN/TURN: host candidates only */ }
    connect();
  }
  $("enter").onclick = enter;

  // --- The citizen confirms the locked minutes ("Tôi xác nhận biên bản", docs/minutes.md) -----------------
  const csrf = (app.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  const withToken = (url) => url + (url.includes("?") ? "&" : "?") + (token ? `token=${encodeURIComponent(token)}` : "");
  async function loadMinutes() {
    if (["host", "officer", "secretary", "leader"].includes(state.participants[state.me]?.role)) return;
    const response = await fetch(withToken(`${app.dataset.minutesUrl}?session=${sessionId}`), {credentials: "same-origin"})
      .catch(() => null);
    if (!response || !response.ok) return;
    const {results} = await response.json();
    if (!results.length) return;
    const body = $("my-minutes-body");
    body.innerHTML = "";
    for (const part of results) {
      const block = document.createElement("article");
      for (const [label, text] of [[T.minutes_statement, part.statement],
                                   [T.minutes_documents, (part.documents_handed_over || [])
                                     .map((d) => d.pages ? `${d.title} (${T.minutes_pages.replace("%(n)s", d.pages)})` : d.title).join("; ")],
                                   [T.minutes_answer, part.leader_answer], [T.minutes_conclusions, part.conclusions]]) {
        if (!text) continue;
        const h = document.createElement("h3"), p = document.createElement("p");
        h.textContent = label; p.textContent = text; p.className = "prewrap";
        block.append(h, p);
      }
      const done = document.createElement("p");
      done.setAttribute("role", "status");
      if (part.citizen_confirmed_at) {
        done.textContent = fmt(T.minutes_confirmed, {at: new Date(part.citizen_confirmed_at).toLocaleString()});
      } else {
        const button = document.createElement("button");
        button.type = "button"; button.className = "primary confirm-minutes"; button.textContent = T.minutes_confirm;
        button.onclick = async () => {
          button.disabled = true;
          const answer = await fetch(withToken(`/api/minutes/${part.minutes}/sections/${part.section}/confirm/`),
            {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf || ""}}).catch(() => null);
          if (answer && answer.ok) loadMinutes(); else button.disabled = false;
        };
        block.append(button);
      }
      block.append(done);
      body.append(block);
    }
    show("my-minutes", true);
    if (results.every((part) => part.citizen_confirmed_at)) clearInterval(state.minutesTimer);
  }
  state.minutesTimer = setInterval(loadMinutes, 15000);
  window.roomMinutes = {load: loadMinutes};  // for the browser test

  openDevices().then(listDevices);
})();
