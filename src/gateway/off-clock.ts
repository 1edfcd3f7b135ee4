import { consulCall, type Consul } from "../consul/client.js";
import type { OffClock } from "./pdu/control.js";
import { consulKeys } from "../consul/keys.js";

/**
 * The minimum off time across processes: each `petrel pdu` job is its own
 * process, so when an outlet went off is kept in Consul KV at
 * `<prefix>/pdu-off/<pdu>/<outlet>` (milliseconds since the epoch), and
 * removed once it is on again.
 */
export function consulOffClock(consul: Consul, prefix: string, pdu: string): OffClock {
  const key = (outlet: number) => consulKeys.pduOff(prefix, pdu, outlet);
  return {
    async get(outlet) {
      const item = await consulCall(`GET kv ${key(outlet)}`, () => consul.kv.get(key(outlet)));
      const at = Number(item?.Value);
      return item?.Value && Number.isFinite(at) ? at : undefined;
    },
    async set(outlet, at) {
      if (at === undefined) await consulCall(`DELETE kv ${key(outlet)}`, () => consul.kv.del(key(outlet)));
      else await consulCall(`PUT kv ${key(outlet)}`, () => consul.kv.set(key(outlet), String(at)));
    },
  };
}
