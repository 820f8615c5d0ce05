export { startApiServer, type ApiServer, type ApiOptions } from './server.js';
export { loadOrCreateTls, type TlsMaterial } from './tls.js';
export { SessionStore, type SessionUser } from './sessions.js';
