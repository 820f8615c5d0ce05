import assert from 'node:assert/strict';
import { parseMessage, type SipRequest } from '../../../agent/src/sip/index.js';
import {
  InviteServerTransaction,
  NonInviteServerTransaction,
  runClientTransaction,
  transactionKey,
} from '../../../agent/src/sip/transactions.js';
import { options, sip, BASIC_HEADERS } from './helpers.js';
import { sleep } from '../../helpers/until.js';

const timers = { t1Ms: 10, t2Ms: 40, t4Ms: 20 };

function invite(): SipRequest {
  return parseMessage(
    sip([
      'INVITE sip:srs@127.0.0.1 SIP/2.0',
      ...BASIC_HEADERS.map((h) => h.replace('1 OPTIONS', '1 INVITE')),
      'Content-Length: 0',
    ]),
  ) as SipRequest;
}

function harness(reliable = false): {
  sent: string[];
  terminated: () => boolean;
  ctx: ConstructorParameters<typeof NonInviteServerTransaction>[2];
} {
  const sent: string[] = [];
  let done = false;
  return {
    sent,
    terminated: () => done,
    ctx: {
      timers,
      reliable,
      send: (r) => sent.push((Buffer.isBuffer(r) ? r : Buffer.from('')).toString().split('\r\n')[0] ?? ''),
      onTerminated: () => (done = true),
    },
  };
}

describe('sip transactions', function () {
  this.timeout(5000);

  it('keys on branch, sent-by and method, folding ACK into INVITE and falling back for RFC 2543', () => {
    const inv = invite();
    assert.equal(transactionKey(inv), transactionKey(inv, 'ACK'));
    assert.notEqual(transactionKey(inv), transactionKey(inv, 'CANCEL'));
    const old = parseMessage(
      Buffer.from(options().toString().replace(';branch=z9hG4bK-1', '')),
    ) as SipRequest;
    assert.match(transactionKey(old), /^2543\|call-1@127.0.0.1\|1\|a1\|/);
  });

  it('INVITE: 100 at once, non-2xx retransmitted until ACK, then Timer I ends it', async () => {
    const h = harness();
    const tx = new InviteServerTransaction(invite(), 'tag1', h.ctx, { onAccepted: () => undefined });
    assert.deepEqual(h.sent, ['SIP/2.0 100 Trying']);
    tx.respond(486, 'Busy Here');
    await sleep(60);
    assert.ok(h.sent.filter((l) => l.startsWith('SIP/2.0 486')).length >= 3);
    tx.onAck();
    assert.equal(tx.state, 'confirmed');
    const n = h.sent.length;
    await sleep(60);
    assert.equal(h.sent.length, n);
    assert.equal(h.terminated(), true);
    assert.equal(tx.respond(200, 'OK'), undefined);
  });

  it('INVITE: 2xx hands over to the core and CANCEL after it does nothing', () => {
    const h = harness(true);
    let accepted = 0;
    const tx = new InviteServerTransaction(invite(), 'tag1', h.ctx, { onAccepted: () => accepted++ });
    tx.respond(180, 'Ringing');
    assert.equal(tx.state, 'proceeding');
    tx.respond(200, 'OK');
    assert.equal(accepted, 1);
    assert.equal(tx.state, 'accepted');
    assert.equal(tx.cancel(), false);
    tx.onRetransmission();
    assert.equal(h.sent.at(-1), 'SIP/2.0 200 OK');
    tx.terminate();
  });

  it('non-INVITE: absorbs retransmissions with the last response, ends after Timer J', async () => {
    const h = harness();
    const tx = new NonInviteServerTransaction(parseMessage(options()) as SipRequest, 't', h.ctx);
    tx.onRetransmission();
    assert.deepEqual(h.sent, []);
    tx.respond(200, 'OK');
    tx.onRetransmission();
    assert.deepEqual(h.sent, ['SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    assert.equal(tx.state, 'completed');
    await sleep(64 * timers.t1Ms + 50);
    assert.equal(tx.state, 'terminated');
  });

  it('client: retransmits over UDP until a final response, or gives up at Timer F', async () => {
    let sends = 0;
    let deliver: ((r: never) => void) | undefined;
    const p = runClientTransaction(
      Buffer.from('BYE'),
      { timers, reliable: false, send: () => sends++ },
      (cb) => {
        deliver = cb as (r: never) => void;
        return () => (deliver = undefined);
      },
    );
    await sleep(50);
    assert.ok(sends >= 3);
    deliver?.({ status: 200 } as never);
    assert.equal((await p)?.status, 200);
    assert.equal(deliver, undefined);
    const timedOut = await runClientTransaction(
      Buffer.from('BYE'),
      { timers, reliable: true, send: () => undefined },
      () => () => undefined,
    );
    assert.equal(timedOut, undefined);
  });
});
