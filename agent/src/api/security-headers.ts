/**
 * Response headers every answer of the API and the web console carries (OWASP secure headers):
 * nothing is cached (JSON holds personal data, audio is personal data), the browser pins HTTPS,
 * never sniffs a type, never frames the page, and the console may load only its own origin's
 * scripts, styles and media — no inline script, no external resource.
 */
import type { NextFunction, Request, Response } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Strict-Transport-Security': 'max-age=31536000',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  for (const [k, v] of Object.entries(HEADERS)) res.setHeader(k, v);
  next();
}
