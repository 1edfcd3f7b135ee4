import { PduError, unknownOutlet, type OutletState, type PduDriver } from "./driver.js";
import { basicAuth, getJson, type HttpAnswer, type HttpTarget } from "./http.js";

export type ShellyOptions = HttpTarget & { generation: 1 | 2; outlets: number; user?: string | undefined; password?: string | undefined };

/**
 * Shelly relays count from 0, PDU outlets from 1. Gen1: `/relay/<id>[?turn=on|off]`
 * answers `{"ison":…}`. Gen2 RPC: `/rpc/Switch.Set?id=<id>&on=true|false` and
 * `/rpc/Switch.GetStatus?id=<id>` answering `{"output":…}`.
 */
export function createShellyDriver(pdu: string, options: ShellyOptions): PduDriver {
  const outlets = Array.from({ length: options.outlets }, (_, i) => i + 1);
  // Gen1 takes Basic auth; Gen2 answers 401 with a Digest challenge (user admin).
  const target = options.generation === 1
    ? { ...options, headers: basicAuth(options.user, options.password) }
    : { ...options, ...(options.password === undefined ? {} : { digest: { user: options.user ?? "admin", password: options.password } }) };
  const call = async (outlet: number, path: string): Promise<Record<string, unknown>> => {
    if (!outlets.includes(outlet)) throw unknownOutlet(pdu, outlet, outlets);
    const answer = await getJson(target, path);
    if (isUnknownRelay(answer)) throw unknownOutlet(pdu, outlet);
    if (answer.status >= 400 || typeof answer.body !== "object" || answer.body === null) {
      throw new PduError("protocol", `${pdu} answered ${path} with HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 100)}`);
    }
    return answer.body as Record<string, unknown>;
  };
  const state = (value: unknown, path: string): OutletState => {
    if (typeof value !== "boolean") throw new PduError("protocol", `${pdu} answered ${path} without a relay state`);
    return value ? "on" : "off";
  };
  const relay = (outlet: number) => outlet - 1;
  if (options.generation === 1) {
    return {
      outlets: () => Promise.resolve(outlets),
      read: async (outlet) => state((await call(outlet, `/relay/${relay(outlet)}`)).ison, "/relay"),
      write: async (outlet, wanted) => {
        await call(outlet, `/relay/${relay(outlet)}?turn=${wanted}`);
      },
    };
  }
  return {
    outlets: () => Promise.resolve(outlets),
    read: async (outlet) => state((await call(outlet, `/rpc/Switch.GetStatus?id=${relay(outlet)}`)).output, "Switch.GetStatus"),
    write: async (outlet, wanted) => {
      await call(outlet, `/rpc/Switch.Set?id=${relay(outlet)}&on=${wanted === "on"}`);
    },
  };
}

/** Gen1 answers 404 for a relay it lacks; Gen2 an RPC error -105 ("Argument 'id', value 5 not found!"). */
function isUnknownRelay({ status, body }: HttpAnswer): boolean {
  return status === 404 || (typeof body === "object" && body !== null && (body as { code?: unknown }).code === -105);
}
