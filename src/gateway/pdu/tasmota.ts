import { PduError, unknownOutlet, type OutletState, type PduDriver } from "./driver.js";
import { getJson, type HttpTarget } from "./http.js";

export type TasmotaOptions = HttpTarget & { outlets: number; user?: string | undefined; password?: string | undefined };

/**
 * Tasmota's command API: `GET /cm?cmnd=Power<n> ON|OFF` answers `{"POWER<n>":"ON"}`
 * (plain `POWER` on a one-relay device), and without an argument reads the state.
 */
export function createTasmotaDriver(pdu: string, options: TasmotaOptions): PduDriver {
  const outlets = Array.from({ length: options.outlets }, (_, i) => i + 1);
  const command = async (outlet: number, argument?: string): Promise<OutletState> => {
    if (!outlets.includes(outlet)) throw unknownOutlet(pdu, outlet, outlets);
    const params = new URLSearchParams({ cmnd: argument ? `Power${outlet} ${argument}` : `Power${outlet}` });
    if (options.user !== undefined) params.set("user", options.user);
    if (options.password !== undefined) params.set("password", options.password);
    const { status, body } = await getJson(options, `/cm?${params.toString()}`);
    const answer = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const state = answer[`POWER${outlet}`] ?? (outlet === 1 ? answer.POWER : undefined);
    if (state === "ON") return "on";
    if (state === "OFF") return "off";
    if (answer.Command === "Unknown") throw unknownOutlet(pdu, outlet);
    throw new PduError("protocol", `${pdu} answered Power${outlet} with HTTP ${status} ${JSON.stringify(body).slice(0, 100)}`);
  };
  return {
    outlets: () => Promise.resolve(outlets),
    read: (outlet) => command(outlet),
    write: async (outlet, state) => {
      await command(outlet, state.toUpperCase());
    },
  };
}
