/**
 * The review page: one queued ticket at a time, the model's answer and runner-up, the labels to choose from
 * (number keys, a click, or a label typed in), no external resources. Inline script and style carry the
 * response's CSP nonce.
 */
const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

export function reviewPage(options: { nonce: string; store: string }): string {
  const { nonce } = options;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Review queue</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
  body { font: 16px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #1b1b1b; }
  header { display: flex; justify-content: space-between; align-items: baseline; }
  #text { white-space: pre-wrap; background: #f5f5f2; border-left: 4px solid #888; padding: 1rem; margin: 1rem 0; }
  #model { color: #444; }
  #labels { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; padding: 0; list-style: none; }
  #labels button { font: inherit; padding: .4rem .8rem; border: 1px solid #555; border-radius: 4px; background: #fff; cursor: pointer; }
  #labels button:focus, #labels button:hover { background: #e8eefc; }
  kbd { font: 12px monospace; border: 1px solid #999; border-radius: 3px; padding: 0 .25rem; margin-right: .3rem; }
  footer { color: #666; font-size: 13px; margin-top: 2rem; }
  #status[data-kind="error"] { color: #a00; }
</style>
</head>
<body>
<header><h1>Review queue</h1><span id="remaining"></span></header>
<main id="ticket" hidden>
  <div id="text"></div>
  <p id="model"></p>
  <p>The right label: press its number, click it, or type another one.</p>
  <ul id="labels"></ul>
  <form id="other"><label>Another label: <input id="other-label" maxlength="256" autocomplete="off"></label> <button type="submit">Save</button></form>
  <p><button id="skip" type="button"><kbd>s</kbd>Skip for now</button></p>
</main>
<p id="empty" hidden>The queue is empty: every ticket the model was unsure about has an answer.</p>
<p id="status" role="status"></p>
<footer>Answers are stored as corrections, and the ticket leaves ${escapeHtml(options.store)}.</footer>
<script nonce="${nonce}">
"use strict";
const token = new URLSearchParams(location.search).get("token");
let current = null;
const $ = (id) => document.getElementById(id);
const percent = (score) => (score * 100).toFixed(0) + "%";

async function call(path, body) {
  const response = await fetch(path, {
    method: body ? "POST" : "GET",
    headers: { "X-Review-Token": token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error || response.statusText);
  return json;
}

function show(next) {
  current = next.item;
  $("remaining").textContent = current ? next.remaining + " queued" : "";
  $("ticket").hidden = !current;
  $("empty").hidden = Boolean(current);
  if (!current) return;
  $("text").textContent = current.text;
  const [top, runnerUp] = current.scores;
  $("model").textContent = "Model: " + top.label + " (" + percent(top.score) + ")" +
    (runnerUp ? ", runner-up: " + runnerUp.label + " (" + percent(runnerUp.score) + ")" : "");
  const list = $("labels");
  list.replaceChildren(...current.scores.map((score, index) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.label = score.label;
    if (index < 9) {
      const key = document.createElement("kbd");
      key.textContent = String(index + 1);
      button.append(key);
    }
    button.append(score.label);
    button.addEventListener("click", () => answer(score.label));
    item.append(button);
    return item;
  }));
  $("other-label").value = "";
}

async function act(promise) {
  $("status").textContent = "";
  try {
    show(await promise);
  } catch (error) {
    $("status").dataset.kind = "error";
    $("status").textContent = "Not saved: " + error.message;
  }
}
const answer = (label) => current && act(call("/api/answer", { id: current.id, label }));

$("skip").addEventListener("click", () => current && act(call("/api/skip", { id: current.id })));
$("other").addEventListener("submit", (event) => {
  event.preventDefault();
  const label = $("other-label").value.trim();
  if (label) answer(label);
});
document.addEventListener("keydown", (event) => {
  if (!current || event.target === $("other-label") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "s") act(call("/api/skip", { id: current.id }));
  const rank = Number(event.key);
  if (Number.isInteger(rank) && rank >= 1 && rank <= Math.min(9, current.scores.length)) {
    answer(current.scores[rank - 1].label);
  }
});
act(call("/api/next"));
</script>
</body>
</html>
`;
}
