/** Mutations of a SIP message for the fuzz probe: each one a way a peer or a wire breaks it. */
/**
 * One mutation of `base`: bit flips, truncation, a huge header (kept under `maxBytes`, the
 * largest datagram the caller can send), a wrong Content-Length, binary garbage, a duplicated
 * line or bare-LF line ends, or a SIP delimiter dropped into a random place.
 */
export function mutate(base: Buffer, rand: () => number, maxBytes: number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  const b = Buffer.from(base);
  switch (pick(7)) {
    case 0:
      for (let k = 1 + pick(8); k > 0; k--) {
        const i = pick(b.length);
        b[i] = (b[i] ?? 0) ^ (1 << pick(8));
      }
      return b;
    case 1:
      return b.subarray(0, pick(b.length + 1));
    case 2: {
      const at = b.indexOf('\r\n') + 2;
      const room = Math.max(0, maxBytes - b.length - 12);
      const huge = Buffer.from(`X-Huge: ${'A'.repeat(Math.min(room, 1000 + pick(70_000)))}\r\n`);
      return Buffer.concat([b.subarray(0, at), huge, b.subarray(at)]);
    }
    case 3: {
      const n = ['-1', '0', '99999999999', String(pick(5000)), '1e3', ' 12 ', '0x10', ''][pick(8)] ?? '0';
      const s = b.toString('latin1').replace(/^(Content-Length|l)[ \t]*:[^\r\n]*/im, `Content-Length: ${n}`);
      return Buffer.from(s, 'latin1');
    }
    case 4: {
      const r = Buffer.alloc(pick(2000));
      for (let i = 0; i < r.length; i++) r[i] = pick(256);
      return r;
    }
    case 5: {
      const lines = b.toString('latin1').split('\r\n');
      lines.splice(1 + pick(Math.max(1, lines.length - 1)), 0, lines[pick(lines.length)] ?? '');
      return Buffer.from(lines.join(pick(2) === 0 ? '\r\n' : '\n'), 'latin1');
    }
    default: {
      const i = pick(b.length);
      const c = ['"', '<', '>', ';', ',', ':', '\\', '[', ']', '\r\n', '\0', '%', ' '][pick(13)] ?? ' ';
      return Buffer.concat([b.subarray(0, i), Buffer.from(c, 'latin1'), b.subarray(i + pick(2))]);
    }
  }
}
