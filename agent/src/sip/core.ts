/**
 * The contract between SipStack and its request router (dispatch.ts): the event map the
 * SIPREC layer listens to, the transaction handle it answers through, and the stack internals
 * the router uses. Kept apart so neither file imports the other.
 */
import type { Logger } from '../common/index.js';
import type { SipDialog } from './dialog.js';
import type { InviteServerTransaction, NonInviteServerTransaction, SipTimers } from './transactions.js';
import type { BoundAddress, SipSource } from './transport.js';
import type { HeaderInput, SipRequest, SipResponse, Via } from './types.js';

/** What the TU sees of a server transaction. */
export interface ServerTx {
  readonly request: SipRequest;
  readonly source: SipSource;
  /** The dialog after a 2xx to an INVITE (or the existing one for a re-INVITE/UPDATE). */
  readonly dialog: SipDialog | undefined;
  respond(status: number, reason: string, headers?: readonly HeaderInput[], body?: Buffer): void;
}

export type SipStackEvents = {
  /** A new session; answer with tx.respond(). A 2xx creates a dialog (tx.dialog). */
  invite: [req: SipRequest, tx: ServerTx];
  reinvite: [req: SipRequest, tx: ServerTx, dialog: SipDialog];
  update: [req: SipRequest, tx: ServerTx, dialog: SipDialog];
  ack: [req: SipRequest, dialog: SipDialog];
  /** The peer ended the dialog. */
  bye: [req: SipRequest, dialog: SipDialog];
  cancel: [invite: SipRequest];
  /** No ACK for our 2xx within 64*T1: the stack has sent BYE. */
  'ack-timeout': [dialog: SipDialog];
};

export interface StackCore {
  readonly log: Logger;
  readonly timers: SipTimers;
  readonly opts: {
    readonly finalResponseTimeoutMs?: number;
    readonly acceptedContentTypes?: readonly string[];
    readonly supported?: readonly string[];
  };
  readonly transactions: Map<string, InviteServerTransaction | NonInviteServerTransaction>;
  readonly dialogMap: Map<string, SipDialog>;
  readonly addresses: readonly BoundAddress[];
  sendTo(source: SipSource, bytes: Buffer, top?: Via, retransmission?: boolean): void;
  reject(reason: string, source: SipSource): void;
  emitEvent<K extends keyof SipStackEvents & string>(event: K, ...args: SipStackEvents[K]): void;
  startAckWait(dialog: SipDialog, bytes: Buffer, top: Via | undefined): void;
  stopAckWait(dialogId: string): boolean;
  establish(req: SipRequest, res: SipResponse, source: SipSource): SipDialog | undefined;
}
