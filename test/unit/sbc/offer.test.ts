import assert from 'node:assert/strict';
import {
  buildMetadata,
  buildSdp,
  parseAnswer,
  siprecBody,
  sipMessage,
  TELEPHONE_EVENT_PT,
} from '../../../agent/src/sbc/index.js';
import { extractOfferBodies, parseRecordingMetadata, parseSdp } from '../../../agent/src/siprec/index.js';

// The offer the test call, the benches and the tests send must read back, through the daemon's
// own parsers, as the call it describes.
describe('sbc/offer', function () {
  this.timeout(2000);

  const sdp = buildSdp({
    host: '127.0.0.1',
    direction: 'sendonly',
    streams: [
      { label: 'a', port: 40000, codecs: ['PCMU', 'PCMA'], telephoneEvent: true },
      { label: 'b', port: 40002, codecs: ['G722'], telephoneEvent: false },
    ],
  });
  const metadata = buildMetadata({
    caller: { name: 'K & K', aor: 'sip:+46701234567@sbc.example' },
    callee: { name: null, aor: 'sip:1001@pbx.example' },
    labels: ['a', 'b'],
    direction: 'inbound',
    service: 'support',
  });

  it('SDP: one labelled sendonly m-line per stream with its codecs and telephone-event', () => {
    const s = parseSdp(sdp);
    assert.deepEqual(
      s.media.map((m) => [m.port, m.label, m.direction, m.formats.join(' ')]),
      [
        [40000, 'a', 'sendonly', `0 8 ${TELEPHONE_EVENT_PT}`],
        [40002, 'b', 'sendonly', '9'],
      ],
    );
  });

  it('metadata: the caller sends stream 0, the callee the others; names escaped', () => {
    const m = parseRecordingMetadata(metadata);
    const [caller, callee] = m.participants;
    const label = (id: string): string | null => m.streams.find((s) => s.id === id)?.label ?? null;
    assert.equal(caller?.name, 'K & K');
    assert.deepEqual(caller?.sends.map(label), ['a']);
    assert.deepEqual(callee?.sends.map(label), ['b']);
    assert.equal(callee?.name, null);
  });

  it('multipart body in a framed message splits back into SDP and metadata', () => {
    const body = siprecBody(sdp, metadata, 'bnd');
    const text = sipMessage(['INVITE sip:r@127.0.0.1 SIP/2.0'], body);
    const [, rest] = text.split('\r\n\r\n', 2);
    assert.match(text, new RegExp(`Content-Length: ${Buffer.byteLength(body.body)}\\r\\n`));
    assert.equal(rest, body.body.split('\r\n\r\n')[0]);
    const parts = extractOfferBodies(body.type, body.body);
    assert.equal(parts.sdp?.trim(), sdp.trim());
    assert.equal(parts.metadata?.trim(), metadata.trim());
  });

  it('parseAnswer: host, ports, labels and rejected streams', () => {
    const a = parseAnswer(
      'v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=recvonly\r\na=label:a\r\nm=audio 0 RTP/AVP 9\r\n',
    );
    assert.equal(a.host, '10.0.0.1');
    assert.deepEqual(
      a.streams.map((s) => [s.port, s.label, s.direction]),
      [
        [20000, 'a', 'recvonly'],
        [0, null, null],
      ],
    );
  });
});
