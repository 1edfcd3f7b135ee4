import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Petrel's whole configuration, read once from the environment (the Nomad and
 * Consul CLIs' own variable names, so an operator's shell already configures
 * Petrel) and from command-line flags, which win over the environment.
 */
export type Config = Readonly<{
  listen: Readonly<{ host: string; port: number }>;
  publicUrl: string;
  kvPrefix: string;
  logLevel: LogLevel;
  /** Bearer token for Petrel's operator routes (cancel, rerun, gateway); those routes refuse all when unset. */
  apiToken?: string;
  /** How long a trusted build's single-use secrets URL stays valid: it must outlast the build's wait in Nomad's queue. */
  secretsTtlSeconds: number;
  /** The same for a gateway's boot secrets: its kernel fetches them right after the script. */
  bootSecretsTtlSeconds: number;
  /**
   * HTTPS on the listener. With `dir` only, Petrel keeps its own CA and server
   * certificate there, made at first start; `cert`/`key`/`ca` name files of
   * an operator's PKI instead.
   */
  tls?: Readonly<{ dir: string; cert?: string; key?: string; ca?: string }>;
  /** Log streams open at once; each followed one holds two of the Nomad connections Petrel shares. */
  maxLogStreams: number;
  /** Seconds a followed log may send nothing before Petrel ends it (the client asks again from its offset). */
  logIdleSeconds: number;
  /** Seconds between sweeps of Petrel's Consul keys that no longer matter. */
  sweepIntervalSeconds: number;
  /** Where finished builds are kept once Nomad forgets them; none when unset. */
  archive?: ArchiveConfig;
  nomad: Readonly<{
    addr: string;
    token?: string;
    namespace?: string;
    region?: string;
    tls: TlsFiles;
  }>;
  consul: Readonly<{ addr: string; token?: string; tls: TlsFiles }>;
}>;

export type ArchiveConfig = Readonly<{
  /** A folder's builds are removed `retentionDays` after dispatch by Petrel; a bucket's by its own lifecycle rule. */
  store: Readonly<{ kind: "folder"; path: string; retentionDays: number } | { kind: "s3"; bucket: string; prefix: string; endpoint?: string; region: string; credentials?: S3Credentials }>;
  /** Bytes of each log the archive keeps; the rest is cut with a notice. */
  maxLogBytes: number;
}>;

/** Keys from the AWS variables; without them AWS's client looks in its own files and roles. */
export type S3Credentials = Readonly<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;

/** PEM contents (not paths), read at start so a bad path fails before serving. */
export type TlsFiles = Readonly<{
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  skipVerify: boolean;
}>;

export type Env = Readonly<Record<string, string | undefined>>;

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** A configuration error names the variable (or flag) that is wrong. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/, "expected host:port, e.g. 0.0.0.0:8080");
const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });
const boolean = z.enum(["1", "0", "true", "false", "TRUE", "FALSE", "True", "False"], "expected true or false")
  .transform((v) => v === "1" || v.toLowerCase() === "true");
const kvPrefix = z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "expected a Consul key path without leading or trailing '/'");

/** Parses one variable with a schema, turning a zod failure into a ConfigError. */
function read<T>(env: Env, variable: string, schema: z.ZodType<T>, { secret = false } = {}): T | undefined {
  const raw = env[variable];
  return raw === undefined || raw === "" ? undefined : check(variable, raw, schema, { secret });
}

/** A secret's value is never repeated in the error that rejects it. */
function check<T>(variable: string, raw: string, schema: z.ZodType<T>, { secret = false } = {}): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problem = parsed.error.issues[0]?.message ?? "invalid";
  throw new ConfigError(variable, secret ? problem : `${problem} (got '${raw}')`);
}

function readPem(env: Env, variable: string): string | undefined {
  const path = env[variable];
  if (path === undefined || path === "") return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(variable, `cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Accepts Consul's `host:port` form as well as a URL, like the consul CLI. */
function consulAddr(env: Env): string {
  const raw = env.CONSUL_HTTP_ADDR || "127.0.0.1:8500";
  const ssl = read(env, "CONSUL_HTTP_SSL", boolean) ?? false;
  const url = /^[a-z]+:\/\//.test(raw) ? raw : `${ssl ? "https" : "http"}://${raw}`;
  return stripSlash(check("CONSUL_HTTP_ADDR", url, httpUrl));
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

export function readConfig(env: Env = process.env): Config {
  const listenRaw = read(env, "PETREL_LISTEN", hostPort) ?? "0.0.0.0:8080";
  const split = listenRaw.lastIndexOf(":");
  const host = listenRaw.slice(0, split).replace(/^\[|\]$/g, "");
  const port = Number(listenRaw.slice(split + 1));
  if (port > 65535) throw new ConfigError("PETREL_LISTEN", `port ${port} is out of range`);
  const reachableHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const tls = readListenerTls(env);

  const config: Config = {
    listen: { host, port },
    publicUrl: stripSlash(read(env, "PETREL_URL", httpUrl) ?? `${tls ? "https" : "http"}://${reachableHost}:${port}`),
    kvPrefix: read(env, "PETREL_KV_PREFIX", kvPrefix) ?? "petrel",
    logLevel: read(env, "PETREL_LOG_LEVEL", z.enum(logLevels, `expected one of ${logLevels.join(", ")}`)) ?? "info",
    secretsTtlSeconds: read(env, "PETREL_SECRETS_TTL", z.coerce.number().int("expected whole seconds").min(10, "expected at least 10 seconds").max(86_400, "expected at most 86400 seconds (a day)")) ?? 1800,
    bootSecretsTtlSeconds: read(env, "PETREL_BOOT_SECRETS_TTL", z.coerce.number().int("expected whole seconds").min(5, "expected at least 5 seconds").max(3600, "expected at most 3600 seconds")) ?? 60,
    ...optional("tls", tls),
    sweepIntervalSeconds: read(env, "PETREL_SWEEP_INTERVAL", z.coerce.number("expected whole seconds").int("expected whole seconds").min(1, "expected at least 1 second")) ?? 600,
    logIdleSeconds: read(env, "PETREL_LOG_IDLE", z.coerce.number("expected whole seconds").int("expected whole seconds").min(1, "expected at least 1 second")) ?? 300,
    maxLogStreams: read(env, "PETREL_MAX_LOG_STREAMS", z.coerce.number("expected a whole number").int("expected a whole number").min(1, "expected at least 1").max(14, "expected at most 14 (two Nomad connections each, of 32 shared)")) ?? 8,
    ...optional("archive", readArchive(env)),
    ...optional("apiToken", read(env, "PETREL_API_TOKEN", z.string().min(16, "expected at least 16 characters"), { secret: true })),
    nomad: {
      addr: stripSlash(read(env, "NOMAD_ADDR", httpUrl) ?? "http://127.0.0.1:4646"),
      ...optional("token", read(env, "NOMAD_TOKEN", z.string())),
      ...optional("namespace", read(env, "NOMAD_NAMESPACE", z.string())),
      ...optional("region", read(env, "NOMAD_REGION", z.string())),
      tls: readTls(env, "NOMAD", read(env, "NOMAD_SKIP_VERIFY", boolean) ?? false),
    },
    consul: {
      addr: consulAddr(env),
      ...optional("token", read(env, "CONSUL_HTTP_TOKEN", z.string())),
      tls: readTls(env, "CONSUL", read(env, "CONSUL_HTTP_SSL_VERIFY", boolean) === false),
    },
  };
  return deepFreeze(config);
}

function readListenerTls(env: Env): Config["tls"] {
  if (!(read(env, "PETREL_TLS", boolean) ?? false)) {
    const stray = ["PETREL_TLS_CERT", "PETREL_TLS_KEY", "PETREL_TLS_CA"].filter((name) => env[name]);
    if (stray.length > 0) throw new ConfigError("PETREL_TLS", `is off, yet ${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} set: set PETREL_TLS=true to serve HTTPS with them`);
    return undefined;
  }
  const files = {
    ...optional("cert", readPem(env, "PETREL_TLS_CERT")),
    ...optional("key", readPem(env, "PETREL_TLS_KEY")),
    ...optional("ca", readPem(env, "PETREL_TLS_CA")),
  };
  if ((files.cert === undefined) !== (files.key === undefined)) throw new ConfigError(files.cert === undefined ? "PETREL_TLS_CERT" : "PETREL_TLS_KEY", "PETREL_TLS_CERT and PETREL_TLS_KEY go together");
  if (files.cert !== undefined && files.ca === undefined) throw new ConfigError("PETREL_TLS_CA", "is required with PETREL_TLS_CERT: it verifies client certificates");
  if (files.ca !== undefined && files.cert === undefined) throw new ConfigError("PETREL_TLS_CERT", "and PETREL_TLS_KEY are required with PETREL_TLS_CA: without them Petrel would make its own certificate and ignore the CA");
  return { dir: env.PETREL_TLS_DIR || "petrel-tls", ...files };
}

const byteSize = z.string().regex(/^\d+\s*([KMG]B?)?$/i, "expected a size in bytes, or with K, M or G (e.g. 64M)").transform((raw) => {
  const unit = /[KMG]/i.exec(raw)?.[0].toUpperCase();
  return Number.parseInt(raw, 10) * (unit === undefined ? 1 : 1024 ** ("KMG".indexOf(unit) + 1));
});
const archiveUrl = z.string().regex(/^(file:\/\/\/|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/|$))/, "expected file:///<folder> or s3://<bucket>[/<prefix>]");

/** PETREL_ARCHIVE names the store; S3's endpoint and region come from the AWS variables its own tools read. */
function readArchive(env: Env): ArchiveConfig | undefined {
  const url = read(env, "PETREL_ARCHIVE", archiveUrl);
  const settings = ["PETREL_ARCHIVE_MAX_LOG", "PETREL_ARCHIVE_DAYS"].filter((name) => env[name]);
  if (url === undefined) {
    if (settings.length > 0) throw new ConfigError(settings[0]!, "is set, yet PETREL_ARCHIVE is not: set it to archive builds");
    return undefined;
  }
  const parsed = new URL(url);
  const endpoint = read(env, "AWS_ENDPOINT_URL_S3", httpUrl) ?? read(env, "AWS_ENDPOINT_URL", httpUrl);
  const days = read(env, "PETREL_ARCHIVE_DAYS", z.coerce.number("expected whole days").int("expected whole days").min(1, "expected at least 1 day"));
  if (days !== undefined && parsed.protocol === "s3:") throw new ConfigError("PETREL_ARCHIVE_DAYS", "applies to a folder archive: give the bucket a lifecycle rule instead (see the README)");
  const store: ArchiveConfig["store"] = parsed.protocol === "file:"
    ? { kind: "folder", path: decodeURIComponent(parsed.pathname).replace(/\/+$/, "") || "/", retentionDays: days ?? 90 }
    : {
      kind: "s3",
      bucket: parsed.hostname,
      // A prefix is a folder of the bucket: it ends with one '/'.
      prefix: parsed.pathname.replace(/^\/+|\/+$/g, "").replace(/.+/, (path) => `${path}/`),
      ...optional("endpoint", endpoint),
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
      ...optional("credentials", readS3Credentials(env)),
    };
  return {
    store,
    maxLogBytes: read(env, "PETREL_ARCHIVE_MAX_LOG", byteSize.refine((bytes) => bytes >= 1024, "expected at least 1K")) ?? 64 * 2 ** 20,
  };
}

function readS3Credentials(env: Env): S3Credentials | undefined {
  const [accessKeyId, secretAccessKey] = [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY];
  if (!accessKeyId && !secretAccessKey) return undefined;
  if (!accessKeyId || !secretAccessKey) throw new ConfigError(accessKeyId ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together");
  return { accessKeyId, secretAccessKey, ...optional("sessionToken", env.AWS_SESSION_TOKEN || undefined) };
}

/** Both CLIs name their TLS variables alike: <PRODUCT>_CACERT, _CLIENT_CERT, _CLIENT_KEY, _TLS_SERVER_NAME. */
function readTls(env: Env, product: "NOMAD" | "CONSUL", skipVerify: boolean): TlsFiles {
  const [certVar, keyVar] = [`${product}_CLIENT_CERT`, `${product}_CLIENT_KEY`];
  const tls: TlsFiles = {
    ...optional("ca", readPem(env, `${product}_CACERT`)),
    ...optional("cert", readPem(env, certVar)),
    ...optional("key", readPem(env, keyVar)),
    ...optional("serverName", read(env, `${product}_TLS_SERVER_NAME`, z.string())),
    skipVerify,
  };
  if (tls.cert !== undefined && tls.key === undefined) throw new ConfigError(keyVar, `is required when ${certVar} is set`);
  if (tls.key !== undefined && tls.cert === undefined) throw new ConfigError(certVar, `is required when ${keyVar} is set`);
  return tls;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
