/**
 * Serves the web console (agent/console/: HTML, JS modules, CSS; no build step) at `/`.
 * The folder is found relative to this module, so one rule works for the checkout run by tsx
 * (agent/src/api → agent/console), the built tree (dist/api → agent/console) and the Debian
 * package (/opt/callvault/dist/api → /opt/callvault/agent/console, copied by build-deb.sh).
 * Nothing here is personal data; the security headers (no-store, CSP 'self') apply as to the API.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

const HERE = dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [join(HERE, '..', '..', 'agent', 'console'), join(HERE, '..', '..', 'console')];

/** The console's folder, or null when this install has none (then `/` stays 404). */
export function consoleDir(): string | null {
  return CANDIDATES.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

export function consoleFiles(): RequestHandler {
  const dir = consoleDir();
  if (dir === null) return (_req, _res, next) => next();
  return express.static(dir, {
    index: 'index.html',
    dotfiles: 'ignore',
    redirect: false,
    // The security headers' Cache-Control: no-store stays; express would replace it.
    cacheControl: false,
    fallthrough: true,
  });
}
