export {
  createControlServer,
  type ControlServer,
  type ControlHandler,
  type ControlRequest,
  type ControlServerOptions,
} from './server.js';
export { actorName, selfIdentity, nativePeerReader, type PeerIdentity, type PeerReader } from './peer.js';
export { tryConnect, callDaemon, callCommand, DEFAULT_CALL_TIMEOUT_MS, type CallOptions } from './client.js';
export type {
  ControlCommands,
  ControlHandlers,
  CommandName,
  ArgsOf,
  ResultOf,
  TypedHandler,
  StatusInfo,
  SearchArgs,
} from './commands.js';
export type { ActorInfo } from './protocol.js';
export * from './errors.js';

/** The socket's name under storage.dir. */
export const CONTROL_SOCKET = 'control.sock';
export { storageHandlers, controlHandlers } from './handlers.js';
export { MIN_REASON_VISIBLE } from './args.js';
export { USER_ROLES } from './user-handlers.js';
