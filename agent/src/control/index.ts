export {
  createControlServer,
  type ControlServer,
  type ControlHandler,
  type ControlRequest,
} from './server.js';
export { tryConnect, callDaemon, type CallOptions } from './client.js';
export type { ActorInfo } from './protocol.js';
export * from './errors.js';

/** The socket's name under storage.dir. */
export const CONTROL_SOCKET = 'control.sock';
export { storageHandlers } from './handlers.js';
export { USER_ROLES } from './user-handlers.js';
