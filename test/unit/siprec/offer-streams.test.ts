import assert from 'node:assert/strict';
import type { Participant } from '../../../agent/src/session/index.js';
import {
  chooseCodecs,
  parseRecordingMetadata,
  parseSdp,
  type SdpMedia,
} from '../../../agent/src/siprec/index.js';
import { streamInfo } from '../../../agent/src/siprec/offer-streams.js';

const people: Participant[] = [
  { id: 'A', name: null, number: '+4670', aor: null, withheld: false, side: 'unknown', role: 'caller' },
  { id: 'B', name: null, number: '7300', aor: null, withheld: false, side: 'unknown', role: 'callee' },
];

function media(labels: (string | null)[]): SdpMedia[] {
  const lines = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0'];
  labels.forEach((l, i) =>
    lines.push(`m=audio ${1000 + 2 * i} RTP/AVP 0`, ...(l === null ? [] : [`a=label:${l}`])),
  );
  return [...parseSdp(lines.join('\r\n')).media];
}

function map(
  labels: (string | null)[],
  participants = people,
  metadataXml: string | null = null,
): [string, string | null, boolean][] {
  const ms = media(labels);
  const metadata = metadataXml === null ? null : parseRecordingMetadata(metadataXml);
  return ms.map((m, i) => {
    const s = streamInfo(m, chooseCodecs(m)!, i, ms.length, participants, metadata);
    return [s.label, s.participantId, s.mixed];
  });
}

describe('siprec/offer-streams', function () {
  this.timeout(2000);

  it('a_leg/b_leg and caller/callee labels map by role, whatever their order', () => {
    assert.deepEqual(map(['b_leg', 'a_leg']), [
      ['b_leg', 'B', false],
      ['a_leg', 'A', false],
    ]);
    assert.deepEqual(map(['Callee', 'caller']), [
      ['Callee', 'B', false],
      ['caller', 'A', false],
    ]);
  });

  it('without labels or metadata, streams map by position; a lone stream is mixed', () => {
    assert.deepEqual(map([null, null]), [
      ['m0', 'A', false],
      ['m1', 'B', false],
    ]);
    assert.deepEqual(map(['1']), [['1', null, true]]);
    assert.deepEqual(map(['mixed', '1', '2']), [
      ['mixed', null, true],
      ['1', null, false],
      ['2', null, false],
    ]);
  });

  it('a participant that sends and receives the same stream marks it mixed (Intrado shape)', () => {
    const xml = `<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
      <participant participant_id="A"><nameID aor="sip:+4670@x"/></participant>
      <stream stream_id="s" session_id="x"><label>1</label></stream>
      <participantstreamassoc participant_id="A"><send>s</send><recv>s</recv></participantstreamassoc></recording>`;
    assert.deepEqual(map(['1'], [people[0]!], xml), [['1', null, true]]);
  });

  it('metadata associations beat labels', () => {
    const xml = `<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
      <participant participant_id="A"/><participant participant_id="B"/>
      <stream stream_id="s1" session_id="x"><label>a_leg</label></stream>
      <participantstreamassoc participant_id="B"><send>s1</send></participantstreamassoc></recording>`;
    assert.deepEqual(map(['a_leg'], people, xml), [['a_leg', 'B', false]]);
  });
});
