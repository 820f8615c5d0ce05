/**
 * cli/commands.ts: callvaultctl's command table. Every command the help names has its entry
 * and none other, and no CLI module casts what a control command answered (ControlCommands
 * types it).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, commandFor } from '../../../agent/src/cli/commands.js';
import { commandNames } from '../../../agent/src/cli/help.js';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'agent', 'src', 'cli');

describe('cli/commands (the command table)', () => {
  it('has an entry for every command of the help table but help, and no other', () => {
    const helped = commandNames().filter((c) => c !== 'help');
    assert.deepEqual(Object.keys(COMMANDS).sort(), [...helped].sort());
    assert.equal(Object.keys(COMMANDS).length, 23);
  });

  it('finds no command under a prototype key', () => {
    assert.equal(commandFor('toString'), undefined);
    assert.equal(commandFor('constructor'), undefined);
    assert.equal(typeof commandFor('verify'), 'function');
  });

  it('casts no control command result', () => {
    const casts: string[] = [];
    for (const file of readdirSync(cliDir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(cliDir, file), 'utf8');
      for (const m of text.matchAll(/\bresult\)? as [^;]+/g)) casts.push(`${file}: ${m[0]}`);
    }
    assert.deepEqual(casts, []);
  });
});
