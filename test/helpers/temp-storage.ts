/**
 * Real storage (vault + index) in a fresh temp dir for each test of a describe(): the set-up the
 * storage, retention and training suites share. Config is the dev config with storage.dir
 * pointing there, plus the suite's own --set values (a policy, a country).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../agent/src/config/index.js';
import { silentLogger } from '../../agent/src/common/index.js';
import { openStorage, type Storage } from '../../agent/src/storage/index.js';
import { DEV_CONFIG } from './daemon.js';

export interface TempStorage {
  readonly dir: string;
  readonly config: Config;
  /** A test that reopens storage sets it; the one set is closed after the test. */
  storage: Storage;
}

/**
 * Registers a beforeEach that opens storage in a new dir named `prefix`… (with `sets` applied)
 * and an afterEach that closes it and removes the dir. Later hooks of the describe() see it open.
 */
export function useTempStorage(prefix: string, sets: readonly string[] = []): TempStorage {
  const t = {} as { dir: string; config: Config; storage: Storage };
  beforeEach(async () => {
    t.dir = mkdtempSync(join(tmpdir(), prefix));
    t.config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${t.dir}`, ...sets] });
    t.storage = await openStorage({ config: t.config, log: silentLogger() });
  });
  afterEach(async () => {
    await t.storage.close();
    rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}

export interface StorageDir {
  readonly dir: string;
  /** The dev config with storage.dir here, plus `sets`: for tests that open storage themselves. */
  configFor(sets: readonly string[]): Config;
}

/** A fresh dir named `prefix`… before each test of the calling describe(), removed after it. */
export function useStorageDir(prefix: string): StorageDir {
  const t = {
    dir: '',
    configFor: (sets: readonly string[]): Config =>
      loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${t.dir}`, ...sets] }),
  };
  beforeEach(() => {
    t.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(t.dir, { recursive: true, force: true }));
  return t;
}
