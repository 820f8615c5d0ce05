/**
 * Request routing for SipStack: retransmissions to their transaction, ACK/CANCEL/BYE to the
 * transaction or dialog they belong to, everything else to a new server transaction whose
 * final response either the stack (OPTIONS, errors) or the TU (INVITE, re-INVITE, UPDATE) sends.
 * A TU that never answers is answered for, with 500, after finalResponseTimeoutMs.
 */
import { dialogIdOf, type SipDialog } from './dialog.js';
import { SipBuildError } from './errors.js';
import { newTag } from './response.js';
import { serializeMessage } from './serializer.js';
import type { ServerTx, StackCore } from './core.js';
import {
  InviteServerTransaction,
  NonInviteServerTransaction,
  transactionKey,
  type TxContext,
} from './transactions.js';
import type { SipSource } from './transport.js';
import type { HeaderInput, SipRequest, SipResponse } from './types.js';
import type { SipProblem } from './validate.js';

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE';

type AnyTx = InviteServerTransaction | NonInviteServerTransaction;

function context(stack: StackCore, req: SipRequest, source: SipSource, key: string): TxContext {
  return {
    timers: stack.timers,
    reliable: source.transport !== 'udp',
    send: (r: SipResponse | Buffer) =>
      stack.sendTo(source, Buffer.isBuffer(r) ? r : serializeMessage(r), req.via[0]),
    onTerminated: () => {
      if (stack.transactions.get(key) !== undefined) stack.transactions.delete(key);
    },
  };
}

function contactFor(stack: StackCore, source: SipSource): string {
  const local = stack.addresses.find((a) => a.transport === source.transport);
  const host = local === undefined ? '127.0.0.1' : local.host.includes(':') ? `[${local.host}]` : local.host;
  return `<sip:${host}:${local?.port ?? 5060};transport=${source.transport}>`;
}

/** Wraps a transaction for the TU: Contact added to INVITE 2xx, build errors become 500. */
function forTu(stack: StackCore, tx: AnyTx, source: SipSource, dialogRef: { dialog?: SipDialog }): ServerTx {
  const guard = setTimeout(() => {
    if (tx.status === 0 && !tx.terminated) {
      stack.log.error({ method: tx.request.method }, 'no final response from the application: 500');
      tx.respond(500, 'Server Internal Error');
    }
  }, stack.opts.finalResponseTimeoutMs ?? 10_000);
  guard.unref();
  return {
    request: tx.request,
    source,
    get dialog() {
      return dialogRef.dialog;
    },
    respond(status, reason, headers: readonly HeaderInput[] = [], body?: Buffer) {
      const needsContact =
        tx.request.method === 'INVITE' &&
        status >= 200 &&
        status < 300 &&
        !headers.some(([n]) => /^(contact|m)$/i.test(n));
      const all: readonly HeaderInput[] = needsContact
        ? [...headers, ['Contact', contactFor(stack, source)]]
        : headers;
      try {
        tx.respond(status, reason, all, body);
      } catch (err) {
        if (!(err instanceof SipBuildError)) throw err;
        stack.log.error({ err }, 'application response could not be built: 500');
        tx.respond(500, 'Server Internal Error');
      }
      if (status >= 200) clearTimeout(guard);
    },
  };
}

function onAck(stack: StackCore, req: SipRequest, source: SipSource): void {
  const inv = stack.transactions.get(transactionKey(req));
  if (inv instanceof InviteServerTransaction && inv.status >= 300) {
    inv.onAck();
    return;
  }
  const dialog = stack.dialogMap.get(dialogIdOf(req));
  if (dialog === undefined) {
    stack.reject('stray-ack', source);
    return;
  }
  stack.stopAckWait(dialog.id);
  stack.emitEvent('ack', req, dialog);
}

function optionsHeaders(stack: StackCore): HeaderInput[] {
  const h: HeaderInput[] = [['Allow', ALLOW]];
  if (stack.opts.acceptedContentTypes) h.push(['Accept', stack.opts.acceptedContentTypes.join(', ')]);
  if (stack.opts.supported && stack.opts.supported.length > 0)
    h.push(['Supported', stack.opts.supported.join(', ')]);
  return h;
}

export function dispatchRequest(
  stack: StackCore,
  req: SipRequest,
  source: SipSource,
  problem: SipProblem | undefined,
): void {
  if (req.method === 'ACK') {
    onAck(stack, req, source);
    return;
  }
  const key = transactionKey(req);
  const existing = stack.transactions.get(key);
  if (existing !== undefined) {
    existing.onRetransmission();
    return;
  }
  const ctx = context(stack, req, source, key);
  const inDialog = req.to.tag !== undefined;
  const dialog = inDialog ? stack.dialogMap.get(dialogIdOf(req)) : undefined;
  const ref: { dialog?: SipDialog } = dialog ? { dialog } : {};
  let tx: AnyTx;
  if (req.method === 'INVITE') {
    tx = new InviteServerTransaction(req, req.to.tag ?? newTag(), ctx, {
      onAccepted: (res) => {
        ref.dialog = dialog ?? stack.establish(req, res, source);
        if (ref.dialog !== undefined) stack.startAckWait(ref.dialog, serializeMessage(res), req.via[0]);
      },
    });
  } else {
    tx = new NonInviteServerTransaction(req, req.to.tag ?? newTag(), ctx);
  }
  stack.transactions.set(key, tx);
  if (problem !== undefined) {
    stack.reject(problem.problem, source);
    try {
      tx.respond(problem.status, problem.reasonPhrase, problem.headers);
    } catch (err) {
      // The problem's own headers echo the request (Unsupported, Accept); when those bytes
      // cannot go into a response (a bare CR), answer the same status without them.
      if (!(err instanceof SipBuildError)) throw err;
      tx.respond(problem.status, problem.reasonPhrase);
    }
    return;
  }
  switch (req.method) {
    case 'OPTIONS':
      tx.respond(200, 'OK', optionsHeaders(stack));
      return;
    case 'CANCEL': {
      const inv = stack.transactions.get(transactionKey(req, 'INVITE'));
      if (!(inv instanceof InviteServerTransaction)) {
        tx.respond(481, 'Call/Transaction Does Not Exist');
        return;
      }
      tx.respond(200, 'OK');
      if (inv.cancel()) stack.emitEvent('cancel', inv.request);
      return;
    }
    default:
      break;
  }
  if (inDialog && dialog === undefined) {
    tx.respond(481, 'Call/Transaction Does Not Exist');
    return;
  }
  if (req.method === 'INVITE') {
    if (dialog) stack.emitEvent('reinvite', req, forTu(stack, tx, source, ref), dialog);
    else stack.emitEvent('invite', req, forTu(stack, tx, source, ref));
  } else if (req.method === 'BYE' && dialog) {
    stack.dialogMap.delete(dialog.id);
    stack.stopAckWait(dialog.id);
    tx.respond(200, 'OK');
    stack.emitEvent('bye', req, dialog);
  } else if (req.method === 'UPDATE' && dialog) {
    stack.emitEvent('update', req, forTu(stack, tx, source, ref), dialog);
  } else if (req.method === 'BYE' || req.method === 'UPDATE') {
    tx.respond(481, 'Call/Transaction Does Not Exist');
  } else {
    const allow: HeaderInput[] = [['Allow', ALLOW]];
    tx.respond(405, 'Method Not Allowed', allow);
  }
}
