import assert from 'node:assert/strict';
import {
  extractOfferBodies,
  LEGACY_RECORDING_NAMESPACE,
  MetadataError,
  parseRecordingMetadata,
  RECORDING_NAMESPACE,
  type RecordingMetadata,
} from '../../../agent/src/siprec/index.js';
import { loadInvite } from './fixtures.js';

function metadataOf(name: string): RecordingMetadata {
  const inv = loadInvite(name);
  const { metadata } = extractOfferBodies(inv.headers.get('content-type'), inv.body);
  assert.ok(metadata !== null, `${name} carries metadata`);
  return parseRecordingMetadata(metadata);
}

const isCode =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof MetadataError && e.code === code;

describe('siprec/metadata', function () {
  this.timeout(2000);

  it('RFC 7866 example: session, participants, streams and their associations', () => {
    const m = metadataOf('rfc7866-basic.sip');
    assert.equal(m.namespace, RECORDING_NAMESPACE);
    assert.equal(m.dataMode, 'complete');
    assert.equal(m.sessions[0]?.id, '0PdLzIYH/jQBg0JH6qsVoA==');
    assert.equal(
      m.sessions[0]?.sipSessionId,
      'ab30317f1a784dc48ff824d0d3715d86; remote=47755a9de7794ba387653f2099600ef2',
    );
    assert.equal(m.startTime?.toISOString(), '2024-03-05T09:12:30.000Z');
    assert.deepEqual(
      m.participants.map((p) => [p.id, p.aor, p.name, p.sends, p.receives]),
      [
        [
          'srfBElmCRp2QB23b7Mpk0w==',
          'sip:alice@atlanta.example.com',
          'Alice',
          ['UAAMm5GRQKSCMVvLyl4rFw=='],
          ['i1Pz3to5hGk8fuXl+PbwCw=='],
        ],
        [
          'zSfPoSvdSDCmU3A3TRDxAw==',
          'sip:bob@biloxi.example.com',
          'Bob',
          ['i1Pz3to5hGk8fuXl+PbwCw=='],
          ['UAAMm5GRQKSCMVvLyl4rFw=='],
        ],
      ],
    );
    assert.deepEqual(
      m.streams.map((s) => [s.id, s.label, s.sessionId]),
      [
        ['UAAMm5GRQKSCMVvLyl4rFw==', '1', '0PdLzIYH/jQBg0JH6qsVoA=='],
        ['i1Pz3to5hGk8fuXl+PbwCw==', '2', '0PdLzIYH/jQBg0JH6qsVoA=='],
      ],
    );
  });

  it('RFC 7865 complete example: group, group-ref and extension data', () => {
    const m = metadataOf('rfc7865-full.sip');
    assert.equal(m.group?.id, '7+OTCyoxTmqmqyA/1weDAg==');
    assert.equal(m.group?.associateTime?.toISOString(), '2024-05-14T08:00:01.000Z');
    assert.equal(m.sessions[0]?.groupRef, '7+OTCyoxTmqmqyA/1weDAg==');
    assert.equal(m.extensions['supervisor'], 'sip:supervisor@operator.example');
    assert.equal(m.extensions['service'], 'Avfallshämtning');
    assert.equal(m.extensions['caseid'], 'CASE-2024-0042');
    assert.equal(m.participants[0]?.name, 'Matti Meikäläinen');
    assert.deepEqual(m.participants[1]?.sends, ['i1Pz3to5hGk8fuXl+PbwCw==', '8zc6e0lYTlWIINA6GR+3ag==']);
  });

  it('Oracle/Acme pre-RFC schema: id attributes, <send> in <participant>, apkt extensions', () => {
    const m = metadataOf('oracle-acme.sip');
    assert.equal(m.namespace, LEGACY_RECORDING_NAMESPACE);
    assert.equal(m.sessions[0]?.id, 'AavRXwIIQj1Q39eJulTipQ==');
    assert.equal(
      m.sessions[0]?.startTime?.getTime(),
      new Date('2024-03-09T16:50:20').getTime(),
      'associate-time stands in for start-time',
    );
    const calling = m.participants.find((p) => p.extensions['callingparty'] === 'true');
    assert.equal(calling?.aor, 'sip:+46701234567@192.168.50.102');
    assert.deepEqual(calling?.sends, ['Q4O8SGLQSilXHUGQX2zd8Q==']);
    assert.equal(calling?.extensions['request-uri'], 'sip:+46812345600@192.168.50.140:5060');
    assert.equal(calling?.extensions['header:call-id'], '134485702_44821128@10.10.128.62');
    assert.deepEqual(
      m.streams.map((s) => [s.label, s.mode, s.sessionId]),
      [
        ['16777227', 'separate', 'AavRXwIIQj1Q39eJulTipQ=='],
        ['16777228', 'separate', 'AavRXwIIQj1Q39eJulTipQ=='],
      ],
    );
    assert.equal(m.extensions['ucid'], '00FA081003B9CF5E7DF7E5;encoding=hex');
  });

  it('any namespace prefix (Sonus tns:) and entity-escaped header copies', () => {
    const xml = `<?xml version="1.0"?>
<tns:recording xmlns:tns='urn:ietf:params:xml:ns:recording'>
  <tns:datamode>complete</tns:datamode>
  <tns:group group_id="g1"><callData xmlns='urn:ietf:params:xml:ns:callData'>
    <fromhdr>"Extension 8500" &lt;sip:2249888500@172.16.198.55&gt;;tag=x</fromhdr></callData></tns:group>
  <tns:participant participant_id="p1"><tns:nameID aor="2249888500@172.16.198.55"><tns:name xml:lang="en">Extension 8500</tns:name></tns:nameID></tns:participant>
  <tns:participant participant_id="p2"><tns:nameID aor="2249888012@172.16.195.72"><tns:name xml:lang="en"> </tns:name></tns:nameID></tns:participant>
  <tns:stream stream_id="s1" session_id="x"><tns:label>1</tns:label></tns:stream>
</tns:recording>`;
    const m = parseRecordingMetadata(xml);
    assert.equal(m.namespace, LEGACY_RECORDING_NAMESPACE);
    assert.equal(m.extensions['fromhdr'], '"Extension 8500" <sip:2249888500@172.16.198.55>;tag=x');
    assert.deepEqual(
      m.participants.map((p) => [p.aor, p.name]),
      [
        ['2249888500@172.16.198.55', 'Extension 8500'],
        ['2249888012@172.16.195.72', null],
      ],
    );
  });

  it('the oldest Acme shape: <aor> and <name> directly under <participant>', () => {
    const m = parseRecordingMetadata(
      `<recording xmlns='urn:ietf:params:xml:ns:recording'><dataMode>complete</dataMode>
       <participant id="u1" session="s"><aor>sip:sipp@168.192.24.40</aor><name>sipp </name><send>st1</send></participant></recording>`,
    );
    assert.equal(m.dataMode, 'complete');
    assert.deepEqual(m.participants[0], {
      id: 'u1',
      aor: 'sip:sipp@168.192.24.40',
      name: 'sipp',
      sends: ['st1'],
      receives: [],
      extensions: {},
    });
  });

  it('a mixed stream: two senders, mode mixed', () => {
    const m = metadataOf('mixed-stream.sip');
    assert.equal(m.streams.length, 1);
    assert.equal(m.streams[0]?.mode, 'mixed');
    assert.equal(m.participants.filter((p) => p.sends.includes(m.streams[0]?.id ?? '')).length, 2);
    assert.equal(m.startTime?.toISOString(), '2024-01-13T19:48:35.000Z');
  });

  it('malformed XML and the entity attack fixture give coded errors', () => {
    const bad =
      extractOfferBodies(
        loadInvite('malformed-xml.sip').headers.get('content-type'),
        loadInvite('malformed-xml.sip').body,
      ).metadata ?? '';
    assert.throws(() => parseRecordingMetadata(bad), isCode('CV_ERR_METADATA_MALFORMED'));
    const inv = loadInvite('entity-attack.sip');
    const attack = extractOfferBodies(inv.headers.get('content-type'), inv.body).metadata ?? '';
    const started = process.hrtime.bigint();
    assert.throws(() => parseRecordingMetadata(attack), isCode('CV_ERR_METADATA_DTD_FORBIDDEN'));
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
  });

  it('a root other than <recording> is refused', () => {
    assert.throws(
      () => parseRecordingMetadata('<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec"/>'),
      isCode('CV_ERR_METADATA_NOT_RECORDING'),
    );
  });
});
