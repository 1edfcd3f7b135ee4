import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll } from "vitest";

/**
 * A secrets URL a build can redeem, for tests about what happens around the
 * secret rather than about Petrel's own secrets route: it answers `secret`
 * once at a path holding a capability token, and 410 after that. Closed when
 * the test file ends.
 */
export async function secretOnce(capability: string, secret = "hunter2"): Promise<string> {
  let given = false;
  const server = createServer((req, res) => {
    const wanted = req.url === `/secrets/${capability}`;
    res.statusCode = !wanted ? 404 : given ? 410 : 200;
    if (res.statusCode === 200) given = true;
    res.end(res.statusCode === 200 ? secret : "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/secrets/${capability}`;
}
