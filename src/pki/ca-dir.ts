import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRootCa, issueCertificate, type Authority, type Issued, type Leaf } from "./certificates.js";

/**
 * A CA kept in a folder: `ca.pem` (shareable), `ca-key.pem` (0600) and,
 * when made with one, `intermediate.pem`/`intermediate-key.pem`, which then
 * signs everything issued.
 */
export class CaDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaDirError";
  }
}

export function initCa(dir: string, { name = "Petrel CA", intermediate = false } = {}): string[] {
  if (existsSync(join(dir, "ca.pem"))) throw new CaDirError(`${dir} already holds a CA (ca.pem); remove it first or choose another --dir`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const root = createRootCa(name);
  const written = [...writePair(dir, "ca", root)];
  if (intermediate) written.push(...writePair(dir, "intermediate", issueCertificate(root, { kind: "intermediate", name: `${name} intermediate` })));
  return written;
}

/** Issues a certificate with the folder's CA; the chain file adds the intermediate for TLS servers. */
export function issueFromCa(dir: string, leaf: Leaf, fileName: string): string[] {
  const signer = loadSigner(dir);
  const issued = issueCertificate(signer.authority, leaf);
  const written = writePair(dir, fileName, issued);
  if (signer.chain) {
    const chain = join(dir, `${fileName}-chain.pem`);
    writeFileSync(chain, issued.cert + signer.chain, { mode: 0o644 });
    written.push(chain);
  }
  return written;
}

function loadSigner(dir: string): { authority: Authority; chain?: string } {
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  if (!existsSync(join(dir, "ca.pem")) || !existsSync(join(dir, "ca-key.pem"))) throw new CaDirError(`${dir} holds no CA: run 'petrel ca init --dir ${dir}' first`);
  if (existsSync(join(dir, "intermediate.pem"))) {
    const cert = read("intermediate.pem");
    return { authority: { name: "intermediate", cert, key: read("intermediate-key.pem") }, chain: cert };
  }
  return { authority: { name: "root", cert: read("ca.pem"), key: read("ca-key.pem") } };
}

/** Keys are readable by their owner only; certificates by anyone. */
function writePair(dir: string, name: string, issued: Issued): string[] {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  writeFileSync(key, issued.key, { mode: 0o600 });
  writeFileSync(cert, issued.cert, { mode: 0o644 });
  return [cert, key];
}
