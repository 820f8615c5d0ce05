/**
 * Reads a SIPREC INVITE fixture into the pieces the SRS will hand to siprec/: header values
 * (lower-case names, repeated headers joined with ', ') and the raw body. Deliberately tiny and
 * independent of sip/ so these tests do not depend on the SIP parser.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/siprec',
);

export interface FixtureInvite {
  readonly raw: Buffer;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export function loadInvite(name: string): FixtureInvite {
  const raw = readFileSync(path.join(FIXTURE_DIR, name));
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`${name}: no header/body separator`);
  const headers = new Map<string, string>();
  for (const line of raw.subarray(0, split).toString('utf8').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const body = raw.subarray(split + 4);
  const declared = Number(headers.get('content-length'));
  if (declared !== body.length)
    throw new Error(`${name}: Content-Length ${declared} but body is ${body.length} bytes`);
  return { raw, headers, body };
}
