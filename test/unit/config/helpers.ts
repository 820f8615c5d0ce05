/** Shared by the config tests: a temp dir per test and a way to catch the ConfigError. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../../agent/src/config/index.js';

export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'callvault-config-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `text` as cv.yaml in `dir` and loads it, with storage.dir inside `dir` unless set. */
export function load(dir: string, text: string, sets: readonly string[] = []): Config {
  writeFileSync(join(dir, 'cv.yaml'), text);
  return loadConfig({ file: 'cv.yaml', cwd: dir, sets });
}

export function loadError(dir: string, text: string, sets: readonly string[] = []): ConfigError {
  try {
    load(dir, text, sets);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfig to throw');
}
