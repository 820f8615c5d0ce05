import assert from 'node:assert/strict';
import {
  decideSides,
  isAgentByRules,
  DEFAULT_SIDE_RULES,
  type SideRules,
} from '../../../agent/src/session/index.js';
import { participant } from './helpers.js';

const caller = participant({ id: 'p1', role: 'caller', number: '+46701234567', aor: 'sip:+46701234567@sbc' });
const callee = participant({ id: 'p2', role: 'callee', number: '7300', aor: 'sip:7300@pbx' });
const rules = (over: Partial<SideRules>): SideRules => ({ ...DEFAULT_SIDE_RULES, ...over });

describe('session/sides', function () {
  this.timeout(2000);

  it('inbound: the caller is the customer, the callee the agent', () => {
    const d = decideSides([caller, callee], 'inbound', DEFAULT_SIDE_RULES);
    assert.equal(d.customerParticipantId, 'p1');
    assert.equal(d.agentParticipantId, 'p2');
    assert.deepEqual(
      d.participants.map((p) => p.side),
      ['customer', 'agent'],
    );
    assert.equal(d.basis, 'direction');
  });

  it('outbound: the callee is the customer', () => {
    const d = decideSides([caller, callee], 'outbound', DEFAULT_SIDE_RULES);
    assert.equal(d.customerParticipantId, 'p2');
    assert.equal(d.agentParticipantId, 'p1');
  });

  it('unknown direction and no rules: sides stay unknown', () => {
    const d = decideSides([caller, callee], 'unknown', DEFAULT_SIDE_RULES);
    assert.equal(d.direction, 'unknown');
    assert.equal(d.customerParticipantId, null);
    assert.deepEqual(
      d.participants.map((p) => p.side),
      ['unknown', 'unknown'],
    );
    assert.equal(d.basis, 'none');
  });

  it('the configured default direction applies when nothing else tells', () => {
    const d = decideSides([caller, callee], 'unknown', rules({ defaultDirection: 'inbound' }));
    assert.equal(d.direction, 'inbound');
    assert.equal(d.customerParticipantId, 'p1');
  });

  it('agent extension lengths decide the sides and the direction', () => {
    const agentCalls = [
      participant({ id: 'a', role: 'caller', number: '7300' }),
      participant({ id: 'c', role: 'callee', number: '0701234567' }),
    ];
    const d = decideSides(agentCalls, 'unknown', rules({ agentExtensionLengths: [4] }));
    assert.equal(d.direction, 'outbound');
    assert.equal(d.agentParticipantId, 'a');
    assert.equal(d.customerParticipantId, 'c');
    assert.equal(d.basis, 'agent_rules');
  });

  it('agent rules override a stated direction that contradicts them', () => {
    const d = decideSides([caller, callee], 'outbound', rules({ agentExtensionLengths: [4] }));
    assert.equal(
      d.agentParticipantId,
      'p2',
      'the 4-digit extension is the agent whatever the direction says',
    );
    assert.equal(d.customerParticipantId, 'p1');
    assert.equal(d.direction, 'outbound', 'a stated direction is kept');
  });

  it('agent number prefixes match numbers and AoR user parts', () => {
    const agent = participant({ id: 'x', role: 'callee', number: null, aor: 'sip:+4687654321@pbx' });
    assert.equal(isAgentByRules(agent, rules({ agentNumberPrefixes: ['+468765'] })), true);
    assert.equal(isAgentByRules(agent, rules({ agentNumberPrefixes: ['+469'] })), false);
    assert.equal(
      isAgentByRules(
        participant({ id: 'w', role: 'caller', withheld: true }),
        rules({ agentExtensionLengths: [0] }),
      ),
      false,
    );
  });

  it('both parties matching the agent rules (internal call) falls back to the direction', () => {
    const d = decideSides(
      [
        participant({ id: 'a', role: 'caller', number: '7300' }),
        participant({ id: 'b', role: 'callee', number: '7301' }),
      ],
      'inbound',
      rules({ agentExtensionLengths: [4] }),
    );
    assert.equal(d.basis, 'direction');
    assert.equal(d.customerParticipantId, 'a');
  });

  it('sides stated by metadata are kept and imply the direction', () => {
    const d = decideSides([{ ...caller, side: 'agent' }, callee], 'unknown', DEFAULT_SIDE_RULES);
    assert.equal(d.basis, 'metadata');
    assert.equal(d.agentParticipantId, 'p1');
    assert.equal(d.customerParticipantId, 'p2');
    assert.equal(d.direction, 'outbound');
  });

  it('does not mutate its input', () => {
    const input = [caller, callee];
    decideSides(input, 'inbound', DEFAULT_SIDE_RULES);
    assert.equal(input[0]?.side, 'unknown');
  });
});
