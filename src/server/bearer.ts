import type { RequestHandler } from "express";
import { sameSecret } from "../same-secret.js";

/**
 * Operator routes want `Authorization: Bearer <PETREL_API_TOKEN>`, compared in
 * constant time; without a token configured, nobody may use them.
 */
export function requireApiToken(apiToken: string | undefined, routes: string): RequestHandler {
  return (req, res, next) => {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (apiToken === undefined) res.status(401).json({ error: `this Petrel has no PETREL_API_TOKEN: ${routes} are off` });
    else if (given === undefined) res.status(401).json({ error: "missing Authorization: Bearer <PETREL_API_TOKEN>" });
    else if (!sameSecret(given, apiToken)) res.status(401).json({ error: "the bearer token is not this Petrel's API token" });
    else next();
  };
}
