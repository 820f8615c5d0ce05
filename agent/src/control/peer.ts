/**
 * Who is at the other end of the control socket, as the kernel says (SO_PEERCRED, read by
 * native/fs-sync.c), never as the client says: the audit log names the OS user and process
 * that ran callvaultctl. Node has no API for it, so without the addon the daemon cannot know,
 * and the control server then refuses every command (see createControlServer).
 */
import type { Socket } from 'node:net';
import { userInfo } from 'node:os';
import { loadNativeAddon } from '../common/index.js';
import { ControlPeerUnknownError } from './errors.js';

export interface PeerIdentity {
  /** The uid's name in the password database; null when the uid has none. */
  readonly user: string | null;
  readonly uid: number;
  readonly pid: number;
}

/** Reads the peer of an accepted unix socket; throws ControlPeerUnknownError when it cannot. */
export type PeerReader = (socket: Socket) => PeerIdentity;

interface PeerCredAddon {
  peercred(fd: number): { pid: number; uid: number; gid: number; user: string | null };
}

/** The libuv handle's descriptor: not public API, but stable on Unix for net sockets. */
function fdOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** SO_PEERCRED through the addon, or why it is not available (not built, not Linux). */
export function nativePeerReader(): {
  readonly read: PeerReader | null;
  readonly unavailable: string | null;
} {
  const { addon, unavailable } = loadNativeAddon<Partial<PeerCredAddon>>('fs-sync');
  const peercred = addon?.peercred;
  if (typeof peercred !== 'function')
    return { read: null, unavailable: unavailable ?? 'addon without peercred' };
  return {
    unavailable: null,
    read: (socket) => {
      const fd = fdOf(socket);
      if (fd === undefined) throw new ControlPeerUnknownError('the socket has no descriptor');
      try {
        const c = peercred(fd);
        return { user: c.user, uid: c.uid, pid: c.pid };
      } catch (err) {
        throw new ControlPeerUnknownError((err as NodeJS.ErrnoException).code ?? 'getsockopt failed', err);
      }
    },
  };
}

/** This process's own identity: the actor when callvaultctl opens the storage itself. */
export function selfIdentity(): PeerIdentity {
  const uid = process.getuid?.() ?? -1;
  let user: string | null = null;
  try {
    user = userInfo().username;
  } catch {
    // A uid without a password entry (containers): the uid alone names it.
  }
  return { user, uid, pid: process.pid };
}

/** The audit actor: `os:<user>(uid=N,pid=P)`; a uid without a name shows as `os:?`. */
export function actorName(p: PeerIdentity): string {
  return `os:${p.user ?? '?'}(uid=${p.uid},pid=${p.pid})`;
}
