import { pageStyle } from "./build-page.js";
import { operatorPostScript } from "./operator-script.js";
import { pageDocument } from "./send-page.js";

/**
 * What waits for approval, as a page: its facts from the same route's JSON,
 * and an Approve button that posts with the operator token and opens the
 * build it started. Everything from the record reaches the DOM as text.
 */
export function approvalPage(): string {
  return page;
}

const script = `
const id = new URLSearchParams(location.search).get("id");
const $ = (name) => document.getElementById(name);
${operatorPostScript}
async function show() {
  const answer = await fetch("approval?" + new URLSearchParams({ id }), { headers: { accept: "application/json" } });
  const record = await answer.json();
  if (!answer.ok) throw new Error(record.error ?? answer.statusText);
  $("title").textContent = record.repo;
  const rows = [["commit", record.commit], ["ref", record.branch], ["event", record.event], ["sender", record.sender],
    ["pull request", record.pullRequest === undefined ? "" : "#" + record.pullRequest + (record.author ? " by " + record.author : "")],
    ["flavors", record.flavors.join(", ")], ["why it waits", record.reason], ["since", record.since]];
  for (const [name, value] of rows) {
    if (!value) continue;
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = name;
    dd.textContent = value;
    $("facts").append(dt, dd);
  }
  document.body.dataset.loaded = "true";
}
$("approve").addEventListener("click", async () => {
  try {
    const body = await operatorPost("approve?" + new URLSearchParams({ id }));
    if (body) location.href = "../build?" + new URLSearchParams({ job: body.builds[0].job });
  } catch (error) {
    $("error").textContent = "approve: " + error.message;
  }
});
show().catch((error) => ($("error").textContent = String(error.message ?? error)));
`;

const page = pageDocument({
  title: "Petrel: awaiting approval",
  style: pageStyle,
  body: `
<header>
  <h1 id="title"></h1>
  <span id="state" data-state="pending">awaiting approval</span>
  <div id="actions"><button id="approve" type="button">Approve</button></div>
</header>
<div id="error" role="alert"></div>
<dl id="facts"></dl>
`,
  script,
});
