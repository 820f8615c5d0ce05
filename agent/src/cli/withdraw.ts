/** The output of `consent withdraw`: one line per recording and what happened to it. */
import type { Printer } from './output.js';

/** As the daemon or the local storage answers it (retention/withdraw.ts). */
export interface WithdrawOutcome {
  readonly erased: readonly string[];
  readonly restricted: readonly string[];
  readonly keptOnHold: readonly string[];
  readonly keptRestricted: readonly string[];
  readonly unchanged: readonly string[];
}

export function printWithdrawal(p: Printer, r: WithdrawOutcome): void {
  for (const id of r.erased) p.out(`erased ${id}`);
  for (const id of r.restricted) p.out(`restricted ${id}`);
  for (const id of r.keptOnHold) p.out(`kept (legal hold) ${id}`);
  for (const id of r.keptRestricted) p.out(`kept (restricted) ${id}`);
  for (const id of r.unchanged) p.out(`unchanged (policy neither erases nor restricts) ${id}`);
  p.err(
    `consent withdrawn: ${r.erased.length} recording(s) erased, ${r.restricted.length} restricted, ` +
      `${r.keptOnHold.length} kept on legal hold, ${r.keptRestricted.length} kept restricted, ` +
      `${r.unchanged.length} unchanged`,
  );
}
