/**
 * One outlet switch with read back through Petrel's APC driver and shared
 * rules (read, skip if no-op, write, read back), against the least SNMP work
 * a read-back switch needs (one SET and one GET with net-snmp), both against
 * Debian's snmpd holding an rPDU2 table.
 *
 *   npm run bench:pdu      (BENCH_ROUNDS, default 200 switches)
 */
import { pduConfigSchema } from "../src/gateway/config.js";
import { createPdu } from "../src/gateway/pdu/create-pdu.js";
import { createSnmp } from "../src/gateway/pdu/snmp.js";
import { createRunDir } from "../test/cluster/run-dir.js";
import { startSnmpd } from "../test/cluster/snmpd.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 200);
const run = createRunDir("petrel-bench-pdu-");
try {
  const snmpd = await startSnmpd(run, "rpdu2");
  const snmp = createSnmp({ host: snmpd.host, port: snmpd.port, community: "private", timeoutMs: 2_000 });
  const pdu = createPdu("bench", pduConfigSchema.parse({ driver: "apc", host: snmpd.host, port: snmpd.port, minOffMs: 0 }));
  await pdu.status(1); // table detection happens once, outside the timings

  const time = async (switchTo: (on: boolean) => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await switchTo(i % 2 === 0);
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  };
  const baseline = await time(async (on) => {
    await snmp.set("1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.2", on ? 1 : 2);
    await snmp.get("1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.2");
  });
  const petrel = await time((on) => (on ? pdu.on(1) : pdu.off(1)));
  const noop = await time(() => pdu.off(3));
  console.log(`pdu switch, median of ${rounds} against snmpd (rPDU2):`);
  console.log(`  baseline SET + GET       ${baseline.toFixed(2)} ms`);
  console.log(`  petrel switch (read, write, read back)  ${petrel.toFixed(2)} ms  (×${(petrel / baseline).toFixed(2)})`);
  console.log(`  petrel no-op (one read)  ${noop.toFixed(2)} ms  (×${(noop / baseline).toFixed(2)})`);
  await snmpd.stop();
} finally {
  await run.remove();
}
