import assert from 'node:assert/strict';
import { parseGlobal, parseCommand, UsageError } from '../../../agent/src/cli/args.js';

describe('cli/args', () => {
  it('takes --config and repeated --set anywhere', () => {
    const g = parseGlobal([
      'recordings',
      '--config',
      'a.yaml',
      'list',
      '--set',
      'storage.dir=/x',
      '--set=log.level=debug',
      '--json',
    ]);
    assert.equal(g.config, 'a.yaml');
    assert.deepEqual(g.sets, ['storage.dir=/x', 'log.level=debug']);
    assert.deepEqual(g.rest, ['recordings', 'list', '--json']);
  });

  it('rejects a dangling --config and unknown options with a usage error', () => {
    assert.throws(
      () => parseGlobal(['--config']),
      (e: unknown) => e instanceof UsageError && e.code === 'CV_ERR_CLI_USAGE',
    );
    assert.throws(
      () => parseCommand(['--bogus'], { json: { type: 'boolean' } }),
      (e: unknown) => e instanceof UsageError,
    );
  });
});
