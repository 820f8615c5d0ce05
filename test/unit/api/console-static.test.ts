import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleDir } from '../../../agent/src/api/console-static.js';

describe('api/console-static', () => {
  it('finds the console folder beside the sources (the same rule finds it from dist/ and the package)', () => {
    const dir = consoleDir();
    assert.notEqual(dir, null);
    assert.ok(dir!.endsWith(join('agent', 'console')), dir!);
    for (const f of ['index.html', 'style.css', 'js/app.js']) assert.ok(existsSync(join(dir!, f)), f);
  });
});
