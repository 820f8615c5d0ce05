/**
 * UAS dialogs (RFC 3261 §12.1.1) and the in-dialog requests we originate (BYE, §15.1.1).
 * In-dialog requests go back over the flow the INVITE arrived on (source address and port, or
 * the same TCP/TLS connection), the RFC 5626 way: SBCs expect it, and it keeps a Contact that
 * names another host from steering our traffic.
 */
import { randomBytes } from 'node:crypto';
import { getHeaderList } from './headers.js';
import { makeRequest } from './request.js';
import type { SipSource } from './transport.js';
import type { NameAddr, SipRequest, SipResponse } from './types.js';
import { parseNameAddr } from './name-addr.js';

export interface SipDialog {
  /** `callId;localTag;remoteTag`: unique while the dialog lives. */
  readonly id: string;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** The To of the INVITE (us) and its From (the SRC), with their header text for requests. */
  readonly localAddr: string;
  readonly remoteAddr: string;
  /** Contact URI of the INVITE: the Request-URI of our in-dialog requests. */
  readonly remoteTarget: string;
  /** Record-Route values of the INVITE, in order (the UAS route set). */
  readonly routeSet: readonly string[];
  readonly remoteSeq: number;
  readonly source: SipSource;
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}

function stripTag(na: NameAddr, raw: string): string {
  return na.tag === undefined ? raw : raw.replace(/\s*;\s*tag\s*=\s*[^;]*/i, '');
}

/** The dialog a 2xx to `invite` creates, or undefined when the INVITE had no usable Contact. */
export function dialogFromInvite(
  invite: SipRequest,
  res: SipResponse,
  source: SipSource,
): SipDialog | undefined {
  const localTag = res.to.tag;
  const remoteTag = invite.from.tag ?? '';
  const contact = getHeaderList(invite, 'contact')[0];
  if (localTag === undefined || contact === undefined) return undefined;
  let remoteTarget: string;
  try {
    remoteTarget = parseNameAddr(contact, 'contact').uri;
  } catch {
    return undefined;
  }
  const toRaw = res.headers.find((h) => h.name === 'to')?.value ?? '';
  const fromRaw = invite.headers.find((h) => h.name === 'from')?.value ?? '';
  return {
    id: dialogId(invite.callId, localTag, remoteTag),
    callId: invite.callId,
    localTag,
    remoteTag,
    localAddr: stripTag(res.to, toRaw),
    remoteAddr: stripTag(invite.from, fromRaw),
    remoteTarget,
    routeSet: getHeaderList(invite, 'record-route'),
    remoteSeq: invite.cseq.seq,
    source,
  };
}

/** Our side's key for an in-dialog request received from the peer. */
export function dialogIdOf(req: SipRequest): string {
  return dialogId(req.callId, req.to.tag ?? '', req.from.tag ?? '');
}

/** Builds a BYE for `dialog` with CSeq `seq`, sent from `via` ("TRANSPORT host:port"). */
export function makeBye(
  dialog: SipDialog,
  seq: number,
  via: string,
  extra: readonly [string, string][] = [],
): SipRequest {
  const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
  const remoteTag = dialog.remoteTag === '' ? '' : `;tag=${dialog.remoteTag}`;
  return makeRequest({
    method: 'BYE',
    uri: dialog.remoteTarget,
    headers: [
      ['Via', `SIP/2.0/${via};branch=${branch};rport`],
      ['Max-Forwards', '70'],
      ['From', `${dialog.localAddr};tag=${dialog.localTag}`],
      ['To', `${dialog.remoteAddr}${remoteTag}`],
      ['Call-ID', dialog.callId],
      ['CSeq', `${seq} BYE`],
      ...dialog.routeSet.map((r): [string, string] => ['Route', r]),
      ...extra,
    ],
  });
}
