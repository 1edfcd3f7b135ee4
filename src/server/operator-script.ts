/**
 * Browser code shared by Petrel's pages: an operator's POST. Operator routes
 * need Petrel's API token; a page asks once and keeps it for this tab only.
 * Answers the JSON body, undefined when no token was given, and throws
 * Petrel's reason when refused (forgetting a token that was refused).
 */
export const operatorPostScript = `
async function operatorPost(path) {
  let token = sessionStorage.getItem("petrel-api-token");
  if (!token) token = prompt("Petrel API token (PETREL_API_TOKEN)");
  if (!token) return undefined;
  const answer = await fetch(path, { method: "POST", headers: { authorization: "Bearer " + token } });
  const body = await answer.json();
  if (!answer.ok) {
    if (answer.status === 401) sessionStorage.removeItem("petrel-api-token");
    throw new Error(body.error ?? answer.statusText);
  }
  sessionStorage.setItem("petrel-api-token", token);
  return body;
}
`;
