/**
 * ControlCommands: every command of the control socket, with the arguments the CLI sends and the
 * result the handler answers. The daemon's handler table (handlers.ts) must provide exactly
 * these (ControlHandlers is checked by the compiler), and the CLI calls them through the same
 * map, so a result the handler changes is a compile error in the CLI rather than a cast that
 * quietly lies.
 *
 * Arguments are still validated by the handlers: they arrive as JSON from another process.
 */
import type {
  exportRecording,
  importWav,
  rebuildIndex,
  rotateKeys,
  searchRecordings,
  showRecording,
  verifyRecordings,
  Storage,
} from '../storage/index.js';
import type {
  addGrant,
  dsarExport,
  eraseRecording,
  linkCase,
  listGrantViews,
  rectifyRecording,
  revokeGrant,
  runRetention,
  setCaseState,
  setLegalHold,
  setRestriction,
  withdrawConsent,
} from '../retention/index.js';
import type { makeTrainingCopy } from '../training/index.js';
import type {
  addAccount,
  changeAccountPassword,
  enrolTotp,
  listAccounts,
  removeTotp,
  setAccountDisabled,
} from '../index/index.js';
import type { ControlRequest } from './server.js';

/** What an async function resolves to. */
type Answer<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

/** One command: what the client sends, what the handler answers. */
interface Command<A, R> {
  readonly args: A;
  readonly result: R;
}

type NoArgs = Readonly<Record<string, never>>;
type IdReason = {
  readonly id: string;
  readonly reason: string;
};
/** A reason the contract makes optional: absent or blank is none, one given is checked. */
type IdOptionalReason = {
  readonly id: string;
  readonly reason?: string | undefined;
};

/** `status`: the daemon (or, with none, this process) and its listeners. */
export interface StatusInfo {
  readonly pid: number;
  readonly uptimeS: number;
  readonly version: string;
  readonly listeners: Record<string, string>;
  readonly storage: string;
  readonly activeRecordings: number;
  readonly startup: Storage['startup'];
}

export type SearchArgs = {
  readonly number?: string | undefined;
  readonly agent?: string | undefined;
  readonly service?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly caseId?: string | undefined;
  readonly flag?: string | undefined;
  readonly minMos?: number | undefined;
  readonly maxMos?: number | undefined;
  readonly limit?: number | undefined;
};

export interface ControlCommands {
  status: Command<NoArgs, StatusInfo>;
  import: Command<{ readonly meta?: string | undefined }, Answer<typeof importWav>>;
  export: Command<
    { readonly id: string; readonly reason?: string | undefined },
    Answer<typeof exportRecording>
  >;
  verify: Command<
    { readonly all: true; readonly progress: boolean } | { readonly id: string },
    Answer<typeof verifyRecordings>
  >;
  'recordings.search': Command<SearchArgs, Answer<typeof searchRecordings>>;
  'recordings.show': Command<{ readonly id: string }, Answer<typeof showRecording>>;
  'keys.rotate': Command<NoArgs, Answer<typeof rotateKeys>>;
  'index.rebuild': Command<{ readonly progress: boolean }, Answer<typeof rebuildIndex>>;
  'audit.verify': Command<NoArgs, Answer<Storage['index']['verifyAudit']>>;
  'audit.list': Command<{ readonly since?: string | undefined }, Answer<Storage['index']['listAudit']>>;
  'retention.run': Command<
    { readonly at?: string | undefined; readonly dryRun: boolean; readonly force: boolean },
    Answer<typeof runRetention>
  >;
  'hold.set': Command<IdReason, Answer<typeof setLegalHold>>;
  'hold.release': Command<IdReason, Answer<typeof setLegalHold>>;
  'restrict.set': Command<IdReason, Answer<typeof setRestriction>>;
  'restrict.release': Command<IdReason, Answer<typeof setRestriction>>;
  'case.link': Command<{ readonly id: string; readonly caseId: string }, Answer<typeof linkCase>>;
  'case.close': Command<
    { readonly caseId: string; readonly at?: string | undefined },
    Answer<typeof setCaseState>
  >;
  'case.reopen': Command<
    { readonly caseId: string; readonly at?: string | undefined },
    Answer<typeof setCaseState>
  >;
  'consent.withdraw': Command<
    { readonly number: string; readonly reason: string },
    Answer<typeof withdrawConsent>
  >;
  'dsar.export': Command<
    { readonly number: string; readonly reason?: string | undefined },
    Answer<typeof dsarExport>
  >;
  'users.add': Command<
    {
      readonly name: string;
      readonly role?: string | undefined;
      readonly agent?: string | undefined;
      readonly password: string;
    },
    Answer<typeof addAccount>
  >;
  'users.list': Command<NoArgs, Answer<typeof listAccounts>>;
  'users.disable': Command<{ readonly name: string }, Answer<typeof setAccountDisabled>>;
  'users.enable': Command<{ readonly name: string }, Answer<typeof setAccountDisabled>>;
  'users.remove': Command<{ readonly name: string }, { readonly username: string; readonly removed: true }>;
  'users.totp': Command<
    { readonly name: string; readonly off: boolean },
    Answer<typeof removeTotp> | Answer<typeof enrolTotp>
  >;
  'users.passwd': Command<
    { readonly name: string; readonly password: string },
    Answer<typeof changeAccountPassword>
  >;
  erase: Command<IdReason, Answer<typeof eraseRecording>>;
  /** fields: { name: value | null } as the CLI parsed `--field name=value` (empty value: null). */
  rectify: Command<
    IdReason & { readonly fields: Readonly<Record<string, string | null>> },
    Answer<typeof rectifyRecording>
  >;
  'grant.add': Command<
    { readonly user: string; readonly until: string; readonly reason?: string | undefined },
    Answer<typeof addGrant>
  >;
  'grant.list': Command<{ readonly all: boolean }, Answer<typeof listGrantViews>>;
  'grant.revoke': Command<IdOptionalReason, Answer<typeof revokeGrant>>;
  'training-copy': Command<IdOptionalReason, Answer<typeof makeTrainingCopy>>;
}

export type CommandName = keyof ControlCommands;
export type ArgsOf<C extends CommandName> = ControlCommands[C]['args'];
export type ResultOf<C extends CommandName> = ControlCommands[C]['result'];

/** A handler of command C: untrusted JSON args in (validated there), C's result out. */
export type TypedHandler<C extends CommandName> = (req: ControlRequest) => Promise<ResultOf<C>>;

/** The daemon's full command table: one handler per command, no more, no fewer. */
export type ControlHandlers = { readonly [C in CommandName]: TypedHandler<C> };

/** The command names, in the table's order (for the server and for tests). */
export function commandNames(handlers: ControlHandlers): CommandName[] {
  return Object.keys(handlers) as CommandName[];
}
