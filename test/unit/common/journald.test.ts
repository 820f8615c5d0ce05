import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJournalStream, journaldLine, syslogPriority } from '../../../agent/src/common/journald.js';
import { createLogger } from '../../../agent/src/common/log.js';

describe('common/journald', () => {
  it('maps every pino level to its syslog priority', () => {
    const table: [number, number][] = [
      [60, 2],
      [50, 3],
      [40, 4],
      [30, 6],
      [20, 7],
      [10, 7],
    ];
    for (const [level, prio] of table) assert.equal(syslogPriority(level), prio, `level ${level}`);
  });

  it('prefixes each line the logger writes with <N> and leaves the JSON intact', () => {
    const lines: string[] = [];
    const log = createLogger('debug', { write: (l: string) => void lines.push(journaldLine(l)) });
    log.debug({}, 'd');
    log.info({}, 'i');
    log.warn({}, 'w');
    log.error({}, 'e');
    log.fatal({}, 'f');
    assert.deepEqual(
      lines.map((l) => l.slice(0, 3)),
      ['<7>', '<6>', '<4>', '<3>', '<2>'],
    );
    for (const l of lines) assert.equal(typeof (JSON.parse(l.slice(3)) as { msg: string }).msg, 'string');
  });

  it('takes stdout for the journal only when $JOURNAL_STREAM names its device and inode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-journal-'));
    const fd = openSync(join(dir, 'out'), 'w');
    try {
      const st = fstatSync(fd, { bigint: true });
      assert.equal(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino}` }), true);
      assert.equal(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }), false);
      assert.equal(isJournalStream(fd, {}), false);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
