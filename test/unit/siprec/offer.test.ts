import assert from 'node:assert/strict';
import {
  answerFor,
  extractOfferBodies,
  parseConsent,
  parseDirection,
  parseRecordingMetadata,
  parseSdp,
  sessionInfoFromOffer,
  type OfferInput,
  type OfferSession,
} from '../../../agent/src/siprec/index.js';
import { readdirSync } from 'node:fs';
import {
  Session,
  type Participant,
  type SessionInfo,
  type SideRules,
} from '../../../agent/src/session/index.js';
import { FIXTURE_DIR, loadInvite } from './fixtures.js';

/** A site whose agents have 4-digit extensions. */
const RULES: SideRules = { agentNumberPrefixes: [], agentExtensionLengths: [4], defaultDirection: 'unknown' };
const RECEIVED = new Date('2030-01-01T00:00:00Z');

function offerFor(name: string, extra: Partial<OfferInput> = {}): OfferSession {
  const inv = loadInvite(name);
  const h = inv.headers;
  const bodies = extractOfferBodies(h.get('content-type'), inv.body);
  const sdp = parseSdp(bodies.sdp ?? '');
  let port = 30000;
  const answer = answerFor(sdp, {
    allocatePorts: (n) => Array.from({ length: n }, () => (port += 2)),
    localAddress: '127.0.0.1',
  });
  return sessionInfoFromOffer({
    sdp,
    metadata: bodies.metadata,
    answer,
    headers: {
      callId: h.get('call-id') ?? '',
      from: h.get('from'),
      to: h.get('to'),
      pAssertedIdentity: h.get('p-asserted-identity'),
      privacy: h.get('privacy'),
      callDirection: h.get('x-call-direction'),
    },
    id: 'session-under-test',
    receivedAt: RECEIVED,
    sideRules: RULES,
    ...extra,
  });
}

const who = (p: Participant): string => `${p.role}:${p.side}:${p.number ?? '-'}:${p.name ?? '-'}`;
/** stream label → the number (or name) of the participant it carries, 'mixed' or '?' */
function streamMap(info: SessionInfo): string[] {
  return info.streams.map((s) => {
    if (s.mixed) return `${s.label}=mixed`;
    const p = info.participants.find((x) => x.id === s.participantId);
    return `${s.label}=${p?.number ?? p?.name ?? '?'}`;
  });
}

describe('siprec/offer', function () {
  this.timeout(5000);

  it('RFC 7866 example: names, streams → participants, no direction known', () => {
    const { info, metadataError } = offerFor('rfc7866-basic.sip');
    assert.equal(metadataError, null);
    assert.deepEqual(info.participants.map(who), ['caller:unknown:-:Alice', 'callee:unknown:-:Bob']);
    assert.deepEqual(streamMap(info), ['1=Alice', '2=Bob']);
    assert.equal(info.direction, 'unknown');
    assert.equal(info.callId, 'd253c800-b0d1ea39-4a7dd-3f0e20a');
    assert.equal(info.sourceSessionId, 'ab30317f1a784dc48ff824d0d3715d86');
    assert.equal(info.startedAt.toISOString(), '2024-03-05T09:12:30.000Z');
    assert.deepEqual(info.flags, []);
    assert.equal(info.id, 'session-under-test');
  });

  it('RFC 7865 full example: direction, service, case and consent from extension data; video dropped', () => {
    const { info } = offerFor('rfc7865-full.sip');
    assert.equal(info.direction, 'inbound');
    assert.deepEqual(info.participants.map(who), [
      'caller:customer:+358401234567:Matti Meikäläinen',
      'callee:agent:4711:Agneta Agent',
    ]);
    assert.deepEqual(info.agent, { id: '4711', name: 'Agneta Agent' });
    assert.deepEqual(streamMap(info), ['96=+358401234567', '97=4711']);
    assert.equal(info.service, 'Avfallshämtning');
    assert.equal(info.caseId, 'CASE-2024-0042');
    assert.equal(info.consent, 'given');
    assert.deepEqual(
      info.streams.map((s) => [s.codec, s.payloadType, s.telephoneEventPayloadType]),
      [
        ['PCMA', 8, 101],
        ['PCMA', 8, 101],
      ],
    );
  });

  it('Cisco CUBE: customer number, agent extension and name; inbound by the agent rules', () => {
    const { info, sideBasis } = offerFor('cisco-cube.sip');
    assert.equal(sideBasis, 'agent_rules');
    assert.equal(info.direction, 'inbound');
    assert.deepEqual(info.participants.map(who), [
      'caller:customer:+4631123456:-',
      'callee:agent:7300:Karin Kundtjanst',
    ]);
    assert.deepEqual(streamMap(info), ['1=+4631123456', '2=7300']);
    const customer = info.participants.find((p) => p.id === info.customerParticipantId);
    assert.equal(customer?.number, '+4631123456');
    assert.deepEqual(info.agent, { id: '7300', name: 'Karin Kundtjanst' });
  });

  it('AudioCodes: an outbound call placed by the agent; G.722 chosen; AoRs without scheme', () => {
    const { info } = offerFor('audiocodes.sip');
    assert.equal(info.direction, 'outbound');
    assert.deepEqual(info.participants.map(who), [
      'caller:agent:2001:Pekka Palvelu',
      'callee:customer:+358401112233:-',
    ]);
    assert.deepEqual(streamMap(info), ['1=2001', '2=+358401112233']);
    assert.equal(info.streams[0]?.codec, 'G722');
    assert.equal(info.streams[0]?.clockRate, 8000, 'RFC 3551: G.722 is signalled at 8000');
  });

  it('Oracle/Acme: callingParty beats document order; dialled number from request-uri feeds the service map', () => {
    const { info } = offerFor('oracle-acme.sip', { serviceMap: { '+46812345600': 'Kundtjänst' } });
    assert.deepEqual(info.participants.map(who), [
      'callee:agent:1002:Lena Lindqvist',
      'caller:customer:+46701234567:-',
    ]);
    assert.deepEqual(streamMap(info), ['16777227=+46701234567', '16777228=1002']);
    assert.equal(info.dialledNumber, '+46812345600');
    assert.equal(info.service, 'Kundtjänst');
    assert.equal(info.direction, 'inbound');
    assert.deepEqual(
      info.streams.map((s) => s.codec),
      ['PCMA', 'PCMA'],
      'G.729 dropped; PT 8 without rtpmap understood',
    );
  });

  it('FreeSWITCH: a_leg/b_leg labels without stream associations; X-Call-Direction', () => {
    const { info } = offerFor('freeswitch-drachtio.sip', {
      sideRules: { ...RULES, agentExtensionLengths: [] },
    });
    assert.equal(info.direction, 'inbound');
    assert.deepEqual(streamMap(info), ['b_leg=1005', 'a_leg=0771121212']);
    assert.deepEqual(info.participants.map(who), [
      'caller:customer:0771121212:Kalle Kund',
      'callee:agent:1005:-',
    ]);
    assert.deepEqual(info.agent, { id: '1005', name: null });
  });

  it('no metadata: participants from From/To/PAI, streams by position, no_metadata flag', () => {
    const { info, metadata } = offerFor('no-metadata.sip', {
      sideRules: { ...RULES, defaultDirection: 'inbound' },
    });
    assert.equal(metadata, null);
    assert.deepEqual(info.flags, ['no_metadata']);
    assert.deepEqual(info.participants.map(who), [
      'caller:customer:+46701234567:Anna Andersson',
      'callee:agent:+46812345600:-',
    ]);
    assert.deepEqual(streamMap(info), ['1=+46701234567', '2=+46812345600']);
    assert.equal(info.dialledNumber, '+46812345600');
    assert.equal(info.startedAt, RECEIVED);
  });

  it('withheld caller: stored without number, name or AoR although metadata and PAI carry them', () => {
    const { info } = offerFor('withheld-caller.sip');
    const caller = info.participants.find((p) => p.role === 'caller');
    assert.deepEqual(caller, {
      id: 'cA==',
      name: null,
      number: null,
      aor: null,
      withheld: true,
      side: 'customer',
      role: 'caller',
    });
    assert.doesNotMatch(JSON.stringify(info), /46709876543|Hemlig/);
    assert.deepEqual(info.agent, { id: '4712', name: 'Bertil Bemanning' });
  });

  it('a single mixed stream carries both participants', () => {
    const { info } = offerFor('mixed-stream.sip');
    assert.equal(info.streams.length, 1);
    assert.deepEqual(
      info.streams[0] && [info.streams[0].mixed, info.streams[0].participantId, info.streams[0].codec],
      [true, null, 'PCMA'],
    );
    assert.deepEqual(
      info.participants.map((p) => p.name),
      ['Jordan Customer', 'DemoCorp Service'],
    );
    assert.equal(info.startedAt.toISOString(), '2024-01-13T19:48:35.000Z');
  });

  it('malformed metadata: coded error, metadata_error flag, session still built from SDP + headers', () => {
    const { info, metadataError } = offerFor('malformed-xml.sip');
    assert.equal(metadataError?.code, 'CV_ERR_METADATA_MALFORMED');
    assert.deepEqual(info.flags, ['metadata_error']);
    assert.deepEqual(info.participants.map(who), [
      'caller:unknown:+46731112222:Olle Olsson',
      'callee:unknown:+46812345600:-',
    ]);
    assert.deepEqual(streamMap(info), ['1=+46731112222', '2=+46812345600']);
  });

  it('entity attack: refused fast, the call is still described', () => {
    const started = process.hrtime.bigint();
    const { info, metadataError } = offerFor('entity-attack.sip');
    assert.ok(process.hrtime.bigint() - started < 200_000_000n, 'whole offer mapped in under 200 ms');
    assert.equal(metadataError?.code, 'CV_ERR_METADATA_DTD_FORBIDDEN');
    assert.deepEqual(info.flags, ['metadata_error']);
    assert.equal(info.streams.length, 1);
  });

  it('plain INVITE (baresip): Opus ignored, unlabelled stream named m0, technician from From', () => {
    const { info } = offerFor('plain-invite-baresip.sip');
    assert.deepEqual(
      info.streams.map((s) => [s.label, s.codec, s.direction]),
      [['m0', 'PCMU', 'sendrecv']],
    );
    assert.equal(info.participants[0]?.name, 'Tekniker Test');
    assert.equal(info.participants[0]?.aor, 'sip:technician@127.0.0.1');
  });

  it('a parsed metadata object is used as is; without an answer the offer decides the codecs', () => {
    const inv = loadInvite('cisco-cube.sip');
    const bodies = extractOfferBodies(inv.headers.get('content-type'), inv.body);
    const r = sessionInfoFromOffer({
      sdp: parseSdp(bodies.sdp ?? ''),
      metadata: parseRecordingMetadata(bodies.metadata ?? ''),
      headers: { callId: 'x' },
    });
    assert.equal(r.info.streams.length, 2);
    assert.equal(r.info.participants.length, 2);
    assert.match(r.info.id, /^[0-9a-f-]{36}$/);
  });

  it('metadata without participants falls back to the headers', () => {
    const inv = loadInvite('no-common-codec.sip');
    const bodies = extractOfferBodies(inv.headers.get('content-type'), inv.body);
    const sdp = parseSdp((bodies.sdp ?? '').replaceAll('18 101', '0 101'));
    const r = sessionInfoFromOffer({
      sdp,
      metadata: bodies.metadata,
      headers: { callId: 'x', from: inv.headers.get('from'), to: inv.headers.get('to') },
    });
    assert.deepEqual(
      r.info.participants.map((p) => p.id),
      ['caller', 'callee'],
    );
    assert.equal(r.info.participants[0]?.number, '+46702223333');
  });

  it('every accepted fixture yields an info the Session model accepts', () => {
    const names = readdirSync(FIXTURE_DIR).filter((n) => n.endsWith('.sip') && n !== 'no-common-codec.sip');
    assert.ok(names.length >= 12);
    for (const name of names) {
      const session = new Session(offerFor(name).info);
      assert.equal(session.info.streams.length > 0, true, name);
      session.end('bye');
    }
  });

  it('direction and consent words', () => {
    assert.deepEqual(['incoming', 'Inbound', 'outgoing', 'OUT', 'sideways', null].map(parseDirection), [
      'inbound',
      'inbound',
      'outbound',
      'outbound',
      'unknown',
      'unknown',
    ]);
    assert.deepEqual(['yes', 'Given', 'declined', '0', 'maybe', undefined].map(parseConsent), [
      'given',
      'given',
      'declined',
      'declined',
      'unknown',
      'unknown',
    ]);
  });
});
