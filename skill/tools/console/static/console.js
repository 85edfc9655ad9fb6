// Leg Check console: the page side of the development server's console API (/console/api).
// It only shows what the server says: the simulator understands the words, runs the skill and
// checks each expectation; nothing here second-guesses it.

const $ = (id) => document.getElementById(id);
const RENDERER_SRC = "/console/static/apl-viewhost-web.js";

const page = {
  options: null,
  id: null,
  state: null,
  turns: [],
  script: null,
  renderer: null,
  rendererReady: null,
};

// One request at a time, in the order asked: a runner types faster than the skill answers.
let queue = Promise.resolve();
let pending = 0;
function run(task) {
  pending += 1;
  document.body.dataset.busy = "true";
  const done = queue.then(task).catch((error) => say(error.message, true));
  queue = done.finally(() => {
    pending -= 1;
    if (pending === 0) document.body.dataset.busy = "false";
  });
  return queue;
}

function say(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "status error" : "status";
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const reply = await fetch(`/console/api${path}`, init);
  let data;
  try {
    data = await reply.json();
  } catch {
    data = { error: `${reply.status} ${reply.statusText}` };
  }
  if (!reply.ok) {
    if (reply.status === 404 && path.startsWith("/sessions/") && !(await sessionKnown())) {
      await startSession();
      throw new Error(
        `The server no longer knows this console session (was it restarted?); a new one has begun: try again. (${data.error})`,
      );
    }
    throw new Error(data.error || `${method} ${path}: HTTP ${reply.status}`);
  }
  return data;
}

// A 404 may be about what was asked for (a conversation test's name), or about the session
// itself, which a restarted server has forgotten: ask which.
async function sessionKnown() {
  const reply = await fetch(`/console/api/sessions/${encodeURIComponent(page.id)}`);
  return reply.ok;
}

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

function device() {
  return page.options.devices.find((d) => d.id === $("device").value) || page.options.devices[0];
}

// ---- the session ---------------------------------------------------------------------------

async function startSession() {
  const made = await api("POST", "/sessions", {
    locale: $("locale").value,
    device: $("device").value,
  });
  page.id = made.id;
  $("save-replay").href = `/console/api/sessions/${encodeURIComponent(page.id)}/replay`;
  showState(made.state);
}

const session = (path) => `/sessions/${encodeURIComponent(page.id)}${path}`;

async function received(reply) {
  for (const turn of reply.turns || []) addTurn(turn);
  if (reply.state) showState(reply.state);
  const last = (reply.turns || []).at(-1);
  if (last) await showTurn(last);
}

function showState(state) {
  page.state = state;
  if (state.locale && $("locale").value !== state.locale) $("locale").value = state.locale;
  if (state.device && $("device").value !== state.device) $("device").value = state.device;
  const list = $("state");
  list.replaceChildren();
  const row = (name, value) => list.append(el("dt", { text: name }), el("dd", {}, value));
  row("Session", state.sessionOpen ? "open" : "closed");
  row("Clock", state.clock || "");
  row("User", state.user || "");
  if (state.permissionGranted !== null && state.permissionGranted !== undefined) {
    row("Reminder permission", state.permissionGranted ? "granted" : "not granted");
    const reminders = state.reminders || [];
    row(
      "Reminders received",
      reminders.length
        ? el("ul", {}, ...reminders.map((r) => el("li", { text: `${r.when}: ${r.text}` })))
        : "none",
    );
  }
  const memory = state.memory || [];
  row(
    "Memory",
    memory.length ? el("ul", {}, ...memory.map((m) => el("li", { text: m }))) : "nothing kept",
  );
  $("consent").hidden = !state.askingPermission;
}

// ---- the conversation ----------------------------------------------------------------------

function resolutionText(res) {
  if (!res) return "";
  const parts = [res.intent ? `${res.requestType}: ${res.intent}` : res.requestType];
  for (const slot of res.slots || []) {
    let text = `${slot.name} = "${slot.value}"`;
    if (slot.resolvedName || slot.id) text += ` → ${slot.resolvedName || ""}${slot.id ? ` (${slot.id})` : ""}`;
    if (slot.status) text += ` ${slot.status}`;
    parts.push(text);
  }
  parts.push(res.newSession ? "new session" : "same session");
  if (res.note) parts.push(res.note);
  return parts.join(" · ");
}

function addTurn(turn) {
  const index = page.turns.push(turn) - 1;
  const item = el("li", { class: "turn", "data-index": String(index) });
  if (turn.utterance) {
    item.append(el("p", { class: "you" }, el("span", { class: "who", text: "You:" }), " ", turn.utterance));
  }
  item.append(el("p", { class: "resolution", text: resolutionText(turn.resolution) }));
  if (turn.speech) {
    item.append(el("p", { class: "alexa" }, el("span", { class: "who", text: "Alexa:" }), " ", turn.speech));
  } else if (!turn.asksPermission) {
    item.append(el("p", { class: "note", text: "Alexa says nothing." }));
  }
  if (turn.asksPermission) {
    item.append(
      el("p", {
        class: "alexa",
      }, el("span", { class: "who", text: "Alexa:" }), " ", "(in its own voice) asks the runner to grant Leg Check the reminders permission. Answer for the runner under Session."),
    );
  }
  if (turn.reprompt) item.append(el("p", { class: "note", text: `Reprompt: ${turn.reprompt}` }));
  for (const reminder of turn.reminders || []) {
    item.append(el("p", { class: "note", text: `Reminder set: ${reminder.when}: ${reminder.text}` }));
  }
  if (turn.ssml) {
    item.append(el("details", {}, el("summary", { text: "SSML" }), el("pre", { text: turn.ssml })));
  }
  const jsonButton = el("button", { type: "button", class: "small", text: "Show this turn's JSON" });
  jsonButton.addEventListener("click", () => showJson(index));
  item.append(jsonButton);
  const list = $("turns");
  list.append(item);
  list.scrollTop = list.scrollHeight; // the newest turn in view; the page itself stays put
  speak(turn.speech);
}

function speak(text) {
  if (!text || !$("read-aloud").checked || !("speechSynthesis" in window)) return;
  const voices = window.speechSynthesis.getVoices();
  const locale = $("locale").value;
  const voice =
    voices.find((v) => v.lang === locale) ||
    voices.find((v) => v.lang.replace("_", "-").startsWith(locale.slice(0, 2)));
  if (!voice) return; // no voice for this language: the text is in the log
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.voice = voice;
  utterance.lang = voice.lang;
  window.speechSynthesis.speak(utterance);
}

async function showTurn(turn) {
  showJson(page.turns.lastIndexOf(turn));
  showCard(turn.card);
  await showScreen(turn);
}

// ---- card and JSON -------------------------------------------------------------------------

function showCard(card) {
  const box = $("card");
  box.replaceChildren();
  if (!card) {
    box.append(el("p", { class: "muted", text: "No card in this response." }));
    return;
  }
  if (card.type === "AskForPermissionsConsent") {
    box.append(
      el("h3", { text: card.title || "Permissions" }),
      el("p", {
        text: card.text || "A permissions card: the Alexa app asks the runner to grant the reminders permission.",
      }),
    );
    return;
  }
  box.append(el("h3", { text: card.title || "" }), el("p", { text: card.text || "" }));
}

function jsonPane(box, title, value) {
  box.replaceChildren();
  const text = JSON.stringify(value ?? null, null, 2);
  const copy = el("button", { type: "button", class: "small", text: "Copy" });
  const pre = el("pre", { text });
  copy.addEventListener("click", async () => {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      try {
        await navigator.clipboard.writeText(text);
        say(`${title}: copied.`);
        return;
      } catch {
        // fall through: select it for the runner to copy
      }
    }
    const range = document.createRange();
    range.selectNodeContents(pre);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say(`${title}: selected; copy it with Ctrl+C (this browser offers no clipboard to the page).`);
  });
  box.append(el("details", { open: "" }, el("summary", { text: title }), el("div", { class: "json-tools" }, copy), pre));
}

function showJson(index) {
  const turn = page.turns[index];
  if (!turn) return;
  const what = turn.resolution?.intent || turn.resolution?.requestType || "request";
  jsonPane($("request"), `Turn ${index + 1}: ${what}`, turn.request);
  jsonPane($("response"), `Turn ${index + 1}: response`, turn.response);
}

// ---- the screen ----------------------------------------------------------------------------

function loadRenderer() {
  page.rendererReady = new Promise((resolve, reject) => {
    const script = document.createElement("script"); // a classic script: it defines AplRenderer
    script.src = RENDERER_SRC;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${RENDERER_SRC} did not load`));
    document.head.append(script);
  }).then(engineStarted);
  page.rendererReady.catch(() => {}); // reported where a screen is drawn
}

// AplRenderer.initEngine() waits for the runtime's onRuntimeInitialized, which has usually fired
// already by the time the script's onload runs (it would then never resolve): wait for calledRun.
function engineStarted() {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (window.Module && window.Module.calledRun) resolve();
      else if (Date.now() - started > 30000) reject(new Error("the APL engine did not start in 30 s"));
      else setTimeout(check, 25);
    };
    check();
  });
}

function destroyRenderer() {
  if (page.renderer) {
    try {
      page.renderer.destroy();
    } catch {
      // a renderer that failed half-way has nothing more to free
    }
    page.renderer = null;
  }
}

function deviceFrame(viewport, scale) {
  const round = viewport.shape === "ROUND";
  const frame = el("div", { class: `device-frame${round ? " round" : ""}` });
  const inner = el("div", { class: `device-viewport${round ? " round" : ""}` });
  inner.style.width = `${Math.round(viewport.width * scale)}px`;
  inner.style.height = `${Math.round(viewport.height * scale)}px`;
  frame.append(inner);
  return [frame, inner];
}

async function showScreen(turn) {
  const box = $("screen");
  const viewport = device().viewport;
  destroyRenderer();
  box.replaceChildren();
  if (!viewport) {
    box.dataset.rendered = "none";
    box.append(el("p", { class: "muted", text: `${device().label}: Alexa only speaks; the card goes to the Alexa app.` }));
    return;
  }
  if (!turn || !turn.apl) {
    box.dataset.rendered = "none";
    box.append(
      el("p", { class: "muted", text: "No screen in this response (no APL RenderDocument directive)." }),
    );
    return;
  }
  const round = viewport.shape === "ROUND";
  const room = Math.max(200, box.clientWidth - 24);
  const scale = Math.min(1, room / viewport.width);
  try {
    if (!page.rendererReady) throw new Error("the renderer is not installed");
    await page.rendererReady;
    const [frame, inner] = deviceFrame(viewport, scale);
    const view = el("div", { class: `apl-view${round ? " round" : ""}`, id: "apl-view" });
    view.style.transform = `scale(${scale})`;
    inner.append(view);
    box.append(
      frame,
      el("p", {
        class: "muted",
        text: `${device().label}, drawn by Amazon's APL renderer (apl-viewhost-web). Offline, a local font stands in for Amazon's.`,
      }),
    );
    const AplRenderer = window.AplRenderer;
    const content = AplRenderer.Content.create(JSON.stringify(turn.apl.document));
    const parameters = turn.apl.document.mainTemplate?.parameters || [];
    const datasources = turn.apl.datasources || {};
    if (parameters.length === 1) {
      // as Alexa does: a single parameter is bound to the whole datasources object
      content.addData(parameters[0], JSON.stringify(datasources));
    } else {
      for (const name of parameters) content.addData(name, JSON.stringify(datasources[name] ?? {}));
    }
    page.renderer = AplRenderer.default.create({
      content,
      view,
      viewport: { width: viewport.width, height: viewport.height, dpi: viewport.dpi, shape: viewport.shape },
      environment: {
        agentName: "Leg Check console",
        agentVersion: "1.0",
        allowOpenUrl: false,
        disallowVideo: true,
      },
      theme: "dark",
      utcTime: Date.now(),
      localTimeAdjustment: 0,
    });
    await page.renderer.init();
    box.dataset.rendered = "apl";
  } catch (error) {
    destroyRenderer();
    box.replaceChildren();
    const plain = el("div", { class: `plain-screen${round ? " round" : ""}` });
    for (const line of turn.screenLines || []) plain.append(el("p", { text: line }));
    box.append(
      plain,
      el("p", {
        class: "muted",
        text: `Plain text, not the real screen: ${error.message}. ${page.options.rendererNote || "Run scripts/setup to install Amazon's APL renderer."}`,
      }),
    );
    box.dataset.rendered = "plain";
  }
}

// ---- replay --------------------------------------------------------------------------------

function showScript(script) {
  page.script = script;
  const about = [script.name, script.locale, `${script.steps.length} steps`].filter(Boolean);
  $("script-name").textContent = `${about.join(", ")}.${script.description ? ` ${script.description}` : ""}`;
  const list = $("steps");
  list.replaceChildren();
  script.steps.forEach((step, i) => {
    list.append(el("li", { "data-step": String(i) }, el("span", { text: `${i + 1}. “${step.utterance}”` })));
  });
  $("step").disabled = false;
  $("run").disabled = false;
}

function clearConversation() {
  page.turns = [];
  $("turns").replaceChildren();
  $("request").replaceChildren(el("p", { class: "muted", text: "No request yet." }));
  $("response").replaceChildren(el("p", { class: "muted", text: "No response yet." }));
  showCard(null);
}

async function loadScript(body) {
  const reply = await api("POST", session("/script"), body);
  clearConversation();
  showState(reply.state);
  showScript(reply.script);
  await showScreen(null);
  say(`Loaded ${reply.script.name}.`);
}

function showStep(step) {
  const item = $("steps").querySelector(`[data-step="${step.index}"]`);
  if (!item) return;
  const expectations = step.expectations || [];
  const met = typeof step.met === "boolean" ? step.met : expectations.every((e) => e.met);
  item.replaceChildren(
    el("span", { class: met ? "met" : "unmet", text: met ? "✓ " : "✗ " }),
    el("span", { text: `${step.index + 1}. “${step.utterance}”` }),
  );
  item.dataset.met = String(met);
  if (!met && (step.failures || []).length) {
    item.append(el("ul", {}, ...step.failures.map((f) => el("li", { class: "unmet", text: `✗ ${f}` }))));
  }
  if (expectations.length) {
    item.append(
      el(
        "ul",
        {},
        ...expectations.map((e) =>
          el(
            "li",
            {},
            el("span", { class: e.met ? "met" : "unmet", text: e.met ? "✓ met: " : "✗ not met: " }),
            e.text,
            e.met || !e.detail ? null : ` (came: ${e.detail})`,
          ),
        ),
      ),
    );
  }
}

async function step() {
  const reply = await api("POST", session("/script/step"));
  await received(reply);
  showStep(reply.step);
  if (reply.done) finishScript();
  return reply.done;
}

function finishScript() {
  const focused = document.activeElement;
  $("step").disabled = true;
  $("run").disabled = true;
  const total = $("steps").children.length;
  const met = $("steps").querySelectorAll('[data-met="true"]').length;
  say(`${page.script.name}: done, ${met} of ${total} steps with every expectation met.`);
  if (focused === $("step") || focused === $("run")) $("save-replay").focus();
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const utterance = $("utterance").value.trim();
    if (!utterance) {
      say("Type what the runner says first.", true);
      return;
    }
    $("utterance").value = "";
    run(async () => {
      say(`Sending “${utterance}”…`);
      await received(await api("POST", session("/say"), { utterance }));
      say("");
    });
  });

  for (const id of ["device", "locale"]) {
    $(id).addEventListener("change", () => {
      const chosen = $(id).value; // as chosen now: an earlier reply may reset the picker
      run(async () => {
        const reply = await api("POST", session("/settings"), { [id]: chosen });
        await received(reply);
        if (!(reply.turns || []).length) await showScreen(page.turns.at(-1));
        say(`${id === "device" ? device().label : $("locale").value}: the next request uses it.`);
      });
    });
  }

  const actions = {
    "new-session": () => api("POST", session("/new-session")),
    forget: () => api("POST", session("/forget")),
    advance: () => api("POST", session("/advance"), { days: 1 }),
    enabled: () => api("POST", session("/event"), { event: "enabled" }),
    disabled: () => api("POST", session("/event"), { event: "disabled" }),
    grant: () => api("POST", session("/permission"), { granted: true }),
    deny: () => api("POST", session("/permission"), { granted: false }),
  };
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () =>
      run(async () => {
        const reply = await actions[button.dataset.action]();
        await received(reply);
        say(reply.message || `${button.textContent}: done.`);
      }),
    );
  }
  for (const button of document.querySelectorAll("[data-consent]")) {
    button.addEventListener("click", () =>
      run(async () => {
        await received(await api("POST", session("/consent"), { answer: button.dataset.consent }));
        say(`Consent answered: ${button.textContent}.`);
      }),
    );
  }

  $("load-test").addEventListener("click", () =>
    run(() => loadScript({ name: $("conversation-test").value })),
  );
  $("replay-file").addEventListener("change", () => {
    const file = $("replay-file").files[0];
    if (!file) return;
    run(async () => loadScript({ text: await file.text(), filename: file.name }));
  });
  $("step").addEventListener("click", () => run(step));
  $("run").addEventListener("click", () =>
    run(async () => {
      while (!(await step()));
    }),
  );

  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Recognition) {
    const mic = $("mic");
    mic.hidden = false;
    mic.addEventListener("click", () => {
      const recognition = new Recognition();
      recognition.lang = $("locale").value;
      recognition.interimResults = false;
      recognition.addEventListener("result", (event) => {
        $("utterance").value = event.results[0][0].transcript;
        $("say").requestSubmit();
      });
      recognition.addEventListener("error", (event) => say(`Speech recognition: ${event.error}`, true));
      recognition.start();
      say("Listening…");
    });
  }
}

async function main() {
  document.body.dataset.busy = "true";
  try {
    page.options = await api("GET", "/options");
    const { devices, locales, conversations } = page.options;
    $("device").replaceChildren(...devices.map((d) => el("option", { value: d.id, text: d.label })));
    $("locale").replaceChildren(...locales.map((l) => el("option", { value: l, text: l })));
    if (devices.some((d) => d.id === "show")) $("device").value = "show";
    if (locales.includes("en-US")) $("locale").value = "en-US";
    $("conversation-test").replaceChildren(
      ...(conversations || []).map((name) => el("option", { value: name, text: name })),
    );
    $("reminders-controls").hidden = !page.options.reminders;
    $("reminders-note").hidden = Boolean(page.options.reminders);
    $("reminders-note").textContent = page.options.remindersNote || "";
    if (page.options.renderer) loadRenderer();
    wire();
    await startSession();
    await showScreen(null);
    document.body.dataset.ready = "true";
  } catch (error) {
    say(`The console could not start: ${error.message}`, true);
  } finally {
    if (pending === 0) document.body.dataset.busy = "false";
  }
}

main();
