import assert from 'node:assert/strict';
import {
  makeBye,
  makeResponse,
  parseMessage,
  type SipDialog,
  type SipRequest,
} from '../../../agent/src/sip/index.js';
import { dialogFromInvite, dialogIdOf } from '../../../agent/src/sip/dialog.js';
import { sip } from './helpers.js';

const INVITE = sip([
  'INVITE sip:srs@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1',
  'Record-Route: <sip:p1.example.net;lr>, <sip:p2.example.net;lr>',
  'From: "SBC" <sip:src@127.0.0.1>;tag=remote1',
  'To: <sip:srs@127.0.0.1>',
  'Call-ID: dlg1',
  'CSeq: 7 INVITE',
  'Contact: <sip:src@127.0.0.1:5070;transport=udp>',
  'Content-Length: 0',
]);

describe('sip dialog', function () {
  this.timeout(5000);

  it('creates a UAS dialog from INVITE + 2xx and builds a BYE within it', () => {
    const inv = parseMessage(INVITE) as SipRequest;
    const ok = makeResponse(inv, 200, 'OK', { toTag: 'local1' });
    const d = dialogFromInvite(inv, ok, { transport: 'udp', address: '127.0.0.1', port: 5070 }) as SipDialog;
    assert.equal(d.id, 'dlg1;local1;remote1');
    assert.equal(d.remoteTarget, 'sip:src@127.0.0.1:5070;transport=udp');
    assert.deepEqual(d.routeSet, ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>']);
    const bye = makeBye(d, 8, 'UDP 127.0.0.1:5060');
    assert.equal(bye.method, 'BYE');
    assert.equal(bye.uri, d.remoteTarget);
    assert.equal(bye.from.tag, 'local1');
    assert.equal(bye.to.tag, 'remote1');
    assert.deepEqual(bye.cseq, { seq: 8, method: 'BYE' });
    assert.match(bye.via[0]?.branch ?? '', /^z9hG4bK[0-9a-f]{16}$/);
    assert.equal(bye.headers.filter((h) => h.name === 'route').length, 2);
    const peerBye = parseMessage(
      Buffer.from(
        INVITE.toString()
          .replace('INVITE sip', 'BYE sip')
          .replace('7 INVITE', '8 BYE')
          .replace('To: <sip:srs@127.0.0.1>', 'To: <sip:srs@127.0.0.1>;tag=local1'),
      ),
    ) as SipRequest;
    assert.equal(dialogIdOf(peerBye), d.id);
  });

  it('has no dialog without a Contact', () => {
    const inv = parseMessage(Buffer.from(INVITE.toString().replace(/Contact: [^\r]*\r\n/, ''))) as SipRequest;
    assert.equal(
      dialogFromInvite(inv, makeResponse(inv, 200, 'OK'), {
        transport: 'udp',
        address: '127.0.0.1',
        port: 1,
      }),
      undefined,
    );
  });
});
