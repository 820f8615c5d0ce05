/**
 * `callvault_tls_certificate_expiry_timestamp_seconds{listener}`: when each TLS certificate the
 * daemon serves stops being valid (Unix time), so an alert fires weeks before clients refuse it.
 * The certificates are asked for at every scrape, so a reloaded certificate shows at once.
 */
import { X509Certificate } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';

export interface ServedCertificate {
  /** Which listener serves it: `api`, `sip`. */
  readonly listener: string;
  /** PEM (or DER) of the leaf certificate. */
  readonly cert: string | Buffer;
}

export function registerTlsMetrics(
  registry: Registry,
  certificates: () => readonly ServedCertificate[],
): void {
  // Parsing a certificate per scrape costs ~50 µs; cached per PEM all the same.
  const cache = new Map<string | Buffer, number>();
  new Gauge({
    name: 'callvault_tls_certificate_expiry_timestamp_seconds',
    help: 'When the TLS certificate of a listener expires (Unix time)',
    labelNames: ['listener'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of certificates()) {
        let at = cache.get(c.cert);
        if (at === undefined) {
          at = Date.parse(new X509Certificate(c.cert).validTo) / 1000;
          // Reloads replace certificates: keep only a handful.
          if (cache.size >= 8) cache.clear();
          cache.set(c.cert, at);
        }
        this.set({ listener: c.listener }, at);
      }
    },
  });
}
