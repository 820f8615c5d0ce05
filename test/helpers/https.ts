/** A small HTTPS client for the admin API tests: self-signed certificate, keep-alive optional. */
import { request, type Agent } from 'node:https';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** The transfer ended cleanly (false: the server aborted it mid-body). */
  readonly complete: boolean;
}

export function call(
  url: string,
  opts: {
    method?: string;
    token?: string;
    headers?: Record<string, string>;
    json?: unknown;
    agent?: Agent;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      // Node sends a DELETE body without framing unless told its length (the server would read
      // it as the next request).
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        rejectUnauthorized: false,
        headers,
        timeout: 30_000,
        ...(opts.agent ? { agent: opts.agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let settled = false;
        const done = (complete: boolean): void => {
          if (settled) return;
          settled = true;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            complete,
          });
        };
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => done(res.complete));
        res.on('aborted', () => done(false));
        res.on('error', () => done(false));
        res.on('close', () => done(res.complete));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.end(payload);
  });
}

export const json = (r: Reply): Record<string, unknown> =>
  JSON.parse(r.body.toString()) as Record<string, unknown>;
export const errorCode = (r: Reply): string => (json(r)['error'] as { code: string }).code;
