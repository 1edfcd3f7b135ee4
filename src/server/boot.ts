import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { Router, type Request } from "express";
import type { Consul } from "../consul/client.js";
import { readGatewayConfig, type GatewayConfig } from "../consul/gateway-config.js";
import { SingleUseError, type SingleUse } from "../single-use/single-use.js";

export type BootDeps = { consul: Consul; kvPrefix: string; singleUse: SingleUse; publicUrl: string; bootSecretsTtlSeconds: number };

/** Boots the kernel with the arguments, and the initrd when the config names one: iPXE stops at an `initrd` without a file. */
const defaultScript = (config: GatewayConfig) =>
  ["kernel ${kernel} ${args} secrets_url=${secrets_url}", ...(config.initrd === undefined ? [] : ["initrd ${initrd}"]), "boot", ""].join("\n");

/**
 * The gateways' boot server, on the TLS listener: a gateway is known by its
 * client certificate (signed by Petrel's CA), whose SHA-256 fingerprint names
 * its config in Consul. Its iPXE script carries a fresh one-time URL for the
 * secret kernel arguments, so they never sit in a script or a command line.
 */
export function bootRoutes({ consul, kvPrefix, singleUse, publicUrl, bootSecretsTtlSeconds }: BootDeps): Router {
  const router = Router();
  const gatewayOf = async (req: Request): Promise<{ fingerprint: string; config: GatewayConfig } | { error: string }> => {
    const socket = req.socket as Partial<TLSSocket>;
    if (!socket.encrypted) return { error: "the boot server answers over HTTPS only (PETREL_TLS)" };
    const peer = socket.getPeerCertificate?.();
    if (!socket.authorized || !peer?.raw) return { error: "a client certificate signed by Petrel's CA is required" };
    const fingerprint = createHash("sha256").update(peer.raw).digest("hex");
    const config = await readGatewayConfig(consul, kvPrefix, fingerprint);
    return config ? { fingerprint, config } : { error: `no gateway is configured for certificate ${fingerprint}` };
  };

  router.get("/boot.ipxe", async (req, res) => {
    const gateway = await gatewayOf(req);
    if ("error" in gateway) return void res.status(403).json({ error: gateway.error });
    const token = await singleUse.issue({ purpose: "boot", subject: gateway.fingerprint, ttlSeconds: bootSecretsTtlSeconds });
    const { config } = gateway;
    const settings = { secrets_url: `${publicUrl}/secrets/boot/${token}`, kernel: config.kernel, ...(config.initrd === undefined ? {} : { initrd: config.initrd }), args: config.args };
    const body = (config.script ?? defaultScript(config)).replace(/^#!ipxe\s*\n/, "");
    req.log.info({ gateway: config.name ?? gateway.fingerprint }, "boot script served");
    res.type("text/plain").send(`#!ipxe\n${Object.entries(settings).map(([name, value]) => `set ${name} ${value}`).join("\n")}\n${body}`);
  });

  router.get("/secrets/boot/:token", async (req, res) => {
    res.set("cache-control", "no-store");
    try {
      const { subject } = await singleUse.redeem("boot", req.params.token);
      const config = await readGatewayConfig(consul, kvPrefix, subject);
      if (!config) return void res.status(404).json({ error: "the gateway's config is gone" });
      res.type("text/plain").send(config.secretArgs);
    } catch (error) {
      if (!(error instanceof SingleUseError)) throw error;
      res.status(error.status).json({ error: error.message });
    }
  });

  router.get("/files/:name", async (req, res) => {
    const gateway = await gatewayOf(req);
    if ("error" in gateway) return void res.status(403).json({ error: gateway.error });
    const { files } = gateway.config;
    const content = Object.hasOwn(files, req.params.name) ? files[req.params.name] : undefined;
    if (content === undefined) return void res.status(404).json({ error: `no file ${req.params.name} for this gateway` });
    res.type("application/octet-stream").send(content);
  });
  return router;
}
