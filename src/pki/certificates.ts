import { randomBytes } from "node:crypto";
import forge from "node-forge";

const { pki, md } = forge;

/** A certificate and its private key, both PEM. */
export type Issued = { cert: string; key: string };

export type CertificateOptions = {
  /** RSA modulus size. 2048 by default: iPXE takes neither larger RSA keys nor EC. */
  bits?: number;
  days?: number;
};

export type Authority = Issued & { name: string };

/** A self-signed root CA, allowed to sign certificates and intermediate CAs. */
export function createRootCa(name: string, { bits = 2048, days = 3650 }: CertificateOptions = {}): Authority {
  const keys = pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const cert = baseCertificate(keys.publicKey, days);
  const subject = [{ name: "commonName", value: name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, md.sha256.create());
  return { name, cert: pki.certificateToPem(cert), key: pki.privateKeyToPem(keys.privateKey) };
}

export type Leaf = { kind: "intermediate"; name: string } | { kind: "server"; names: string[] } | { kind: "client"; name: string };

/**
 * A certificate signed by `issuer`: an intermediate CA, a server certificate
 * whose names (DNS names or IP addresses) become its subject alternative
 * names, or a client certificate whose common name is the client's name.
 */
export function issueCertificate(issuer: Authority, leaf: Leaf, { bits = 2048, days = 825 }: CertificateOptions = {}): Issued {
  const issuerCert = pki.certificateFromPem(issuer.cert);
  const issuerKey = pki.privateKeyFromPem(issuer.key);
  const keys = pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const cert = baseCertificate(keys.publicKey, days);
  const commonName = leaf.kind === "server" ? leaf.names[0]! : leaf.name;
  cert.setSubject([{ name: "commonName", value: commonName }]);
  cert.setIssuer(issuerCert.subject.attributes);
  const authorityKey = { name: "authorityKeyIdentifier", keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() };
  if (leaf.kind === "intermediate") {
    cert.setExtensions([{ name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true }, { name: "subjectKeyIdentifier" }, authorityKey]);
  } else {
    cert.setExtensions([
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: leaf.kind === "server", clientAuth: leaf.kind === "client" },
      ...(leaf.kind === "server" ? [{ name: "subjectAltName", altNames: leaf.names.map(altName) }] : []),
      { name: "subjectKeyIdentifier" },
      authorityKey,
    ]);
  }
  cert.sign(issuerKey, md.sha256.create());
  return { cert: pki.certificateToPem(cert), key: pki.privateKeyToPem(keys.privateKey) };
}

/** The SHA-256 fingerprint of a PEM certificate's DER bytes, lower-case hex: how a gateway is known. */
export function fingerprint(certPem: string): string {
  const der = forge.asn1.toDer(pki.certificateToAsn1(pki.certificateFromPem(certPem))).getBytes();
  return md.sha256.create().update(der).digest().toHex();
}

function baseCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive 127-bit serial: random, so two CAs of one name never collide.
  cert.serialNumber = `0${randomBytes(16).toString("hex").slice(1)}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  return cert;
}

const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function altName(name: string): { type: number; value?: string; ip?: string } {
  return ipv4.test(name) || name.includes(":") ? { type: 7, ip: name } : { type: 2, value: name };
}
