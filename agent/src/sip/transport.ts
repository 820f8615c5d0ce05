/**
 * SipTransport: UDP, TCP and TLS sockets in, raw SIP messages out. Stream connections get a
 * framer each, an idle limit, a limit on how long a message may take to arrive (slow senders)
 * and per-source/total connection caps. Framing errors close the connection (after the stack
 * had a chance to answer the unframable message: `unframed`). Nothing here parses SIP beyond
 * framing; the stack does that.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { TypedEmitter, type Logger } from '../common/index.js';
import type { ListenAddress } from './addr.js';
import { SipParseError } from './errors.js';
import { SipStreamFramer, type SipFrame } from './framer.js';

export type TransportName = 'udp' | 'tcp' | 'tls';

/** Where a message came from; for streams, the connection to answer on. */
export interface SipSource {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
  readonly connection?: Socket;
}

export interface TransportOptions {
  readonly udp?: ListenAddress;
  readonly tcp?: ListenAddress;
  readonly tls?: {
    readonly listen: ListenAddress;
    readonly cert: string | Buffer;
    readonly key: string | Buffer;
  };
  readonly maxMessageBytes: number;
  readonly tcpIdleTimeoutMs: number;
  /** A message must arrive whole within this once its first byte is in (slow-TCP defence). */
  readonly tcpMessageTimeoutMs: number;
  readonly maxTcpConnections: number;
  readonly maxTcpConnectionsPerSource: number;
  readonly log: Logger;
}

export type TransportEvents = {
  message: [bytes: Buffer, source: SipSource];
  /** A connection or datagram refused before SIP parsing; `reason` is a bounded label. */
  refused: [reason: string, source: SipSource];
  /**
   * The header section of a message whose Content-Length failed framing, emitted before the
   * connection closes, so the stack can answer it (400) on that connection.
   */
  unframed: [head: Buffer, reason: string, source: SipSource];
};

export interface BoundAddress {
  readonly transport: TransportName;
  readonly host: string;
  readonly port: number;
}

/** How often UDP and TCP on port 0 are re-picked when TCP finds UDP's port taken. */
const SHARED_PORT_ATTEMPTS = 20;

export class SipTransport extends TypedEmitter<TransportEvents> {
  #tlsServer: TlsServer | null = null;

  readonly #opts: TransportOptions;
  #udp: UdpSocket | undefined;
  #servers: { transport: TransportName; server: Server | TlsServer }[] = [];
  readonly #connections = new Set<Socket>();
  readonly #perSource = new Map<string, number>();
  #bound: BoundAddress[] = [];

  private constructor(opts: TransportOptions) {
    super();
    this.#opts = opts;
  }

  static async open(opts: TransportOptions): Promise<SipTransport> {
    const t = new SipTransport(opts);
    try {
      await t.#listen();
    } catch (err) {
      t.close();
      throw err;
    }
    return t;
  }

  get addresses(): readonly BoundAddress[] {
    return this.#bound;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async #listen(): Promise<void> {
    const { udp, tcp, tls } = this.#opts;
    if (udp !== undefined && tcp !== undefined && udp.port === 0 && tcp.port === 0 && udp.host === tcp.host)
      await this.#listenSharedAnyPort(udp);
    else {
      if (udp !== undefined) await this.#listenUdp(udp);
      if (tcp !== undefined) await this.#listenStream('tcp', createServer(), tcp);
    }
    if (tls !== undefined) {
      // The key is handed to node:tls only; it is never logged or kept in options we log.
      const server = createTlsServer({ cert: tls.cert, key: tls.key });
      this.#tlsServer = server;
      await this.#listenStream('tls', server, tls.listen);
    }
  }

  /**
   * UDP and TCP both on port 0 of one address: one port number the kernel picks for both, as a
   * SIP listener normally has (5060 for UDP and TCP), so a peer told one port reaches either
   * transport. UDP picks; if that TCP port is taken, both are picked again (bounded).
   */
  async #listenSharedAnyPort(at: ListenAddress): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.#listenUdp(at);
      const port = this.#bound[this.#bound.length - 1]!.port;
      try {
        await this.#listenStream('tcp', createServer(), { ...at, port });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= SHARED_PORT_ATTEMPTS)
          throw err;
        this.#servers.pop();
        this.#bound.pop();
        this.#udp?.close();
        this.#udp = undefined;
      }
    }
  }

  async #listenUdp(udp: ListenAddress): Promise<void> {
    const sock = createSocket({ type: udp.family === 4 ? 'udp4' : 'udp6' });
    this.#udp = sock;
    sock.on('message', (bytes, rinfo) => {
      this.safeEmit(this.#opts.log, 'message', bytes, {
        transport: 'udp',
        address: rinfo.address,
        port: rinfo.port,
      });
    });
    sock.on('error', (err) => this.#opts.log.error({ err }, 'sip udp socket error'));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(udp.port, udp.host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.#bound.push({ transport: 'udp', host: udp.host, port: sock.address().port });
  }

  /**
   * Replaces the TLS certificate and key (config reload): new handshakes use them, connections
   * already open keep theirs. Throws (node:tls validates the pair) and keeps the old ones.
   */
  setTlsCredentials(cert: Buffer, key: Buffer): void {
    this.#tlsServer?.setSecureContext({ cert, key });
  }

  async #listenStream(
    transport: TransportName,
    server: Server | TlsServer,
    at: ListenAddress,
  ): Promise<void> {
    server.on(transport === 'tls' ? 'secureConnection' : 'connection', (sock: Socket) =>
      this.#accept(transport, sock),
    );
    server.on('tlsClientError', () => this.emitRefused('tls-handshake', { transport, address: '', port: 0 }));
    server.on('error', (err) => this.#opts.log.error({ err, transport }, 'sip listener error'));
    server.maxConnections = this.#opts.maxTcpConnections;
    this.#servers.push({ transport, server });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.#bound.push({
      transport,
      host: at.host,
      port: typeof addr === 'object' && addr !== null ? addr.port : at.port,
    });
  }

  protected emitRefused(reason: string, source: SipSource): void {
    this.safeEmit(this.#opts.log, 'refused', reason, source);
  }

  #accept(transport: TransportName, sock: Socket): void {
    const address = sock.remoteAddress ?? '';
    const source: SipSource = { transport, address, port: sock.remotePort ?? 0, connection: sock };
    const count = this.#perSource.get(address) ?? 0;
    if (count >= this.#opts.maxTcpConnectionsPerSource) {
      this.emitRefused('tcp-per-source-limit', source);
      sock.destroy();
      return;
    }
    this.#perSource.set(address, count + 1);
    this.#connections.add(sock);
    const framer = new SipStreamFramer({ maxMessageBytes: this.#opts.maxMessageBytes });
    let messageTimer: NodeJS.Timeout | undefined;
    let closing = false;
    sock.setTimeout(this.#opts.tcpIdleTimeoutMs, () => {
      this.emitRefused('tcp-idle', source);
      sock.destroy();
    });
    sock.on('data', (chunk: Buffer) => {
      // Data already buffered when framing failed: the connection is closing, ignore it.
      if (closing) return;
      let frames: SipFrame[] = [];
      try {
        frames = framer.push(chunk);
      } catch (err) {
        if (framer.failed === undefined) {
          this.emitRefused(err instanceof SipParseError ? err.reason : 'framing', source);
          sock.destroy();
          return;
        }
      }
      for (const f of frames) {
        if (f.type === 'ping') sock.write('\r\n');
        else this.safeEmit(this.#opts.log, 'message', f.bytes, source);
      }
      if (framer.failed !== undefined) {
        // The stream is lost after the messages above: stop reading, answer the message that
        // failed framing if its header section is whole, let the answers be written, close.
        closing = true;
        this.emitRefused(framer.failed.reason, source);
        const head = framer.failedHead;
        if (head !== undefined) this.safeEmit(this.#opts.log, 'unframed', head, framer.failed.reason, source);
        this.endConnection(sock);
        return;
      }
      if (framer.bufferedBytes > 0 && messageTimer === undefined) {
        messageTimer = setTimeout(() => {
          this.emitRefused('tcp-slow-message', source);
          sock.destroy();
        }, this.#opts.tcpMessageTimeoutMs);
      } else if (framer.bufferedBytes === 0 && messageTimer !== undefined) {
        clearTimeout(messageTimer);
        messageTimer = undefined;
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      if (messageTimer !== undefined) clearTimeout(messageTimer);
      this.#connections.delete(sock);
      const n = (this.#perSource.get(address) ?? 1) - 1;
      if (n <= 0) this.#perSource.delete(address);
      else this.#perSource.set(address, n);
    });
  }

  /** Sends bytes: over the source's connection for streams, as a datagram for UDP. */
  send(
    transport: TransportName,
    bytes: Buffer,
    to: { address: string; port: number; connection?: Socket },
  ): boolean {
    if (transport === 'udp') {
      if (this.#udp === undefined) return false;
      this.#udp.send(bytes, to.port, to.address, (err) => {
        if (err) this.#opts.log.warn({ err, port: to.port }, 'sip udp send failed');
      });
      return true;
    }
    const conn = to.connection;
    if (conn === undefined || conn.destroyed || !conn.writable) return false;
    conn.write(bytes);
    return true;
  }

  /**
   * Closes a stream connection once what was written to it is sent: no more reading, FIN after
   * the last write, and the socket destroyed 2 s later whatever the peer does.
   */
  endConnection(sock: Socket): void {
    if (sock.destroyed) return;
    sock.pause();
    sock.end();
    setTimeout(() => sock.destroy(), 2000).unref();
  }

  /** Closes listeners and every connection. Idempotent. */
  close(): void {
    this.#udp?.close();
    this.#udp = undefined;
    for (const { server } of this.#servers) server.close();
    this.#servers = [];
    for (const c of this.#connections) c.destroy();
    this.#connections.clear();
    this.#perSource.clear();
  }
}
