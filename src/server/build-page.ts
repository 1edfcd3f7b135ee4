import { operatorPostScript } from "./operator-script.js";
import { pageDocument } from "./send-page.js";

/**
 * The live build page, one static document: its script reads the job from the
 * URL, fetches the status JSON and follows both logs from the same `/build`
 * route, so the page needs nothing the API doesn't already give. Everything
 * from the build reaches the DOM as text or through ansi_up, which escapes HTML.
 */
export function buildPage(): string {
  return page;
}

export const pageStyle = `
  :root { color-scheme: dark; --bg: #14161a; --fg: #d8dee9; --dim: #8a93a3; --line: #2a2e36; }
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
  header { padding: 12px 20px; border-bottom: 1px solid var(--line); display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 16px; margin: 0; font-family: ui-monospace, monospace; }
  #state { padding: 2px 10px; border-radius: 10px; font-weight: 600; text-transform: uppercase; font-size: 12px; background: #3b4252; }
  #state[data-state=running], #state[data-state=pending] { background: #b58900; color: #000; }
  #state[data-state=success] { background: #2e7d32; }
  #state[data-state=failure], #state[data-state=error] { background: #c62828; }
  #state[data-state=canceled] { background: #616161; }
  #actions button { font: inherit; background: #3b4252; color: var(--fg); border: 1px solid var(--line); border-radius: 4px; padding: 2px 10px; cursor: pointer; }
  body[data-final=true] #cancel { display: none; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 12px 20px; color: var(--dim); }
  dd { margin: 0; color: var(--fg); font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  section { margin: 0 20px 16px; }
  h2 { font-size: 13px; color: var(--dim); font-weight: 600; margin: 12px 0 4px; }
  pre { margin: 0; padding: 10px 12px; background: #0d0f12; border: 1px solid var(--line); border-radius: 4px;
        font: 13px/1.4 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; min-height: 1.4em; }
  pre[data-done] { border-color: #3b4252; }
  #error { color: #ef5350; margin: 8px 20px; }
  nav a { color: #81a1c1; margin-right: 10px; }
`;

const script = `
import { AnsiUp } from "./build/assets/ansi_up.js";

const params = new URLSearchParams(location.search);
const job = params.get("job");
const task = params.get("task");
const url = (extra) => "build?" + new URLSearchParams({ job, ...(task ? { task } : {}), ...extra });
const $ = (id) => document.getElementById(id);

function show(status) {
  document.title = status.job + " — " + status.state;
  $("job").textContent = status.job;
  $("state").textContent = status.state;
  $("state").dataset.state = status.state;
  const m = status.meta;
  const rows = [
    ["repository", m.REPO_URL],
    [m.PR ? "pull request" : "branch", m.PR ? "#" + m.PR + " (" + m.BRANCH + ")" : m.BRANCH],
    ["commit", m.COMMIT],
    ["flavor", m.FLAVOR],
    ["builder", status.builder],
    ["allocation", status.allocation ? status.allocation.id + " (" + status.allocation.clientStatus + ")" : "none yet"],
    ["outcome", status.description],
    ["exit code", status.exitCode === null ? "" : String(status.exitCode)],
    ["started", status.startedAt ?? ""],
    ["finished", status.finishedAt ?? ""],
    ["duration", status.durationSeconds === null ? "" : status.durationSeconds + " s"],
  ];
  const dl = $("facts");
  dl.replaceChildren();
  for (const [name, value] of rows) {
    if (value === undefined || value === "") continue;
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = name;
    dd.textContent = value;
    dl.append(dt, dd);
  }
  document.body.dataset.state = status.state;
  link("history", status.links.history);
  link("commit", status.links.commit);
}

/** Only Petrel's own relative links and http(s) ones: a forge's address comes from a webhook. */
function link(id, href) {
  const ok = href !== undefined && (!/^[a-z][a-z0-9+.-]*:/i.test(href) || /^https?:/i.test(href));
  $(id).hidden = !ok;
  if (ok) $(id).href = href;
}

/** The build of the same branch (or pull request) and flavor before this one, from the history. */
async function linkPrevious(status) {
  const answer = await fetch(status.links.history + "&limit=100", { headers: { accept: "application/json" } });
  if (!answer.ok) return;
  const builds = (await answer.json()).builds.filter((build) => build.flavor === status.meta.FLAVOR);
  const at = builds.findIndex((build) => build.job === status.job);
  const previous = at >= 0 ? builds[at + 1] : undefined;
  if (previous) link("previous", url({ job: previous.job }));
}

async function refresh() {
  const answer = await fetch(url({}), { headers: { accept: "application/json" } });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error ?? answer.statusText);
  show(body);
  return body;
}

function nearBottom() {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
}

async function follow(type) {
  const pre = $(type);
  const ansi = new AnsiUp();
  const decoder = new TextDecoder();
  const append = (text) => {
    if (text === "") return;
    const stick = nearBottom();
    pre.insertAdjacentHTML("beforeend", ansi.ansi_to_html(text));
    if (stick) window.scrollTo(0, document.body.scrollHeight);
  };
  // Petrel ends a follow that stays quiet for long; ask again from the bytes had, and once the build
  // is over, a last time without following: a quiet end may come just before the build's last lines
  // reach Petrel, and only an answer begun after the end is sure to run to the log's end.
  let offset = 0;
  for (let over = false; ; ) {
    const answer = await fetch(url({ log: type, ...(over ? {} : { follow: "1" }), offset: String(offset) }));
    if (!answer.ok) throw new Error((await answer.json()).error ?? answer.statusText);
    const reader = answer.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      offset += value.length;
      append(decoder.decode(value, { stream: true }));
    }
    if (over) break;
    over = (await refresh()).finished;
    if (!over) await new Promise((done) => setTimeout(done, 500));
  }
  append(decoder.decode());
  pre.dataset.done = "";
}

${operatorPostScript}
async function act(action) {
  const body = await operatorPost("build/" + action + "?" + new URLSearchParams({ job }));
  if (!body) return;
  if (action === "rerun") location.href = url({ job: body.job });
  else await refresh();
}
for (const action of ["cancel", "rerun"]) {
  $(action).addEventListener("click", () => act(action).catch((error) => ($("error").textContent = action + ": " + error.message)));
}

async function main() {
  if (!job) throw new Error("this page needs ?job=<id>");
  let status = await refresh();
  linkPrevious(status).catch(() => {});
  const ticker = setInterval(() => refresh().catch(() => {}), 3000);
  try {
    await Promise.all([follow("stdout"), follow("stderr")]);
    // The logs end with the task; Nomad may record the allocation's final status a moment later.
    for (let tries = 0; !status.finished && tries < 20; tries += 1) {
      status = await refresh();
      if (!status.finished) await new Promise((done) => setTimeout(done, 500));
    }
  } finally {
    clearInterval(ticker);
  }
  document.body.dataset.final = status.finished ? "true" : "unknown";
}

main().catch((error) => {
  $("error").textContent = String(error.message ?? error);
  document.body.dataset.final = "error";
});
`;

const page = pageDocument({
  title: "Petrel build",
  style: pageStyle,
  body: `
<header>
  <h1 id="job"></h1>
  <span id="state" data-state="pending">loading</span>
  <div id="actions"><button id="cancel" type="button">Cancel</button><button id="rerun" type="button">Rerun</button></div>
  <nav><a id="previous" hidden>previous build</a> <a id="history" hidden>history</a> <a id="commit" hidden>commit</a></nav>
</header>
<div id="error" role="alert"></div>
<dl id="facts"></dl>
<section><h2>stdout</h2><pre id="stdout"></pre></section>
<section><h2>stderr</h2><pre id="stderr"></pre></section>
`,
  script,
});
