import type { PduAction, PduControl, OutletReport } from "./control.js";

/** One action on one outlet; `status` without an outlet reads every outlet. */
export async function runPduAction(control: PduControl, action: PduAction, outlet: number | undefined): Promise<OutletReport[]> {
  if (outlet === undefined) {
    if (action !== "status") throw new TypeError(`${action} needs an outlet`);
    const reports: OutletReport[] = [];
    for (const each of await control.outlets()) reports.push(await control.status(each));
    return reports;
  }
  return [await control[action](outlet)];
}
