import { pageStyle } from "./build-page.js";
import { pageDocument } from "./send-page.js";

/**
 * A repository's build history, one static document: its script reads the
 * query from the URL and shows `/builds`' JSON as a table, a page at a time.
 * Everything from the builds reaches the DOM as text.
 */
export function historyPage(): string {
  return page;
}

const style = `${pageStyle}
  table { border-collapse: collapse; margin: 12px 20px; font: 13px/1.4 ui-monospace, monospace; }
  th { text-align: left; color: var(--dim); font-weight: 600; padding: 4px 12px 4px 0; border-bottom: 1px solid var(--line); }
  td { padding: 4px 12px 4px 0; border-bottom: 1px solid var(--line); }
  td[data-state=success] { color: #66bb6a; } td[data-state=failure], td[data-state=error] { color: #ef5350; }
  td[data-state=running], td[data-state=pending] { color: #fbc02d; } td[data-state=canceled] { color: var(--dim); }
  a { color: #81a1c1; }
  #more { margin: 0 20px 20px; }
`;

const script = `
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const query = { repo: params.get("repo") ?? "", ...["branch", "pr", "limit"].reduce((had, name) => (params.get(name) ? { ...had, [name]: params.get(name) } : had), {}) };

function cell(row, text, state) {
  const td = document.createElement("td");
  td.textContent = text;
  if (state) td.dataset.state = state;
  row.append(td);
  return td;
}

function show(builds) {
  for (const build of builds) {
    const row = document.createElement("tr");
    const link = document.createElement("a");
    link.href = "build?" + new URLSearchParams({ job: build.job });
    link.textContent = build.job;
    cell(row, "").append(link);
    cell(row, build.state, build.state);
    cell(row, build.commit.slice(0, 10));
    cell(row, build.ref);
    cell(row, build.flavor);
    cell(row, build.sender);
    cell(row, build.durationSeconds === null ? "" : build.durationSeconds + " s");
    cell(row, new Date(build.submittedAt).toISOString().replace("T", " ").slice(0, 19));
    $("builds").append(row);
  }
}

async function load(after) {
  const answer = await fetch("builds?" + new URLSearchParams({ ...query, ...(after ? { after } : {}) }), { headers: { accept: "application/json" } });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error ?? answer.statusText);
  show(body.builds);
  $("more").hidden = !body.next;
  $("more").onclick = () => load(body.next).catch(fail);
  document.body.dataset.loaded = "true";
}

function fail(error) {
  $("error").textContent = String(error.message ?? error);
  document.body.dataset.loaded = "error";
}

$("title").textContent = query.repo + (query.branch ? " " + query.branch : query.pr ? " #" + query.pr : "");
document.title = "builds of " + $("title").textContent;
load().catch(fail);
`;

const page = pageDocument({
  title: "Petrel builds",
  style: style,
  body: `
<header><h1 id="title"></h1></header>
<div id="error" role="alert"></div>
<table>
<thead><tr><th>build</th><th>state</th><th>commit</th><th>branch/PR</th><th>flavor</th><th>sender</th><th>duration</th><th>dispatched</th></tr></thead>
<tbody id="builds"></tbody>
</table>
<button id="more" type="button" hidden>older builds</button>
`,
  script,
});
