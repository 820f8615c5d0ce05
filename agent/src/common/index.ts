export * from './errors.js';
export * from './log.js';
export * from './typed-emitter.js';
export * from './listen.js';
export * from './native.js';
export * from './semaphore.js';
export * from './sd-notify.js';
export * from './text.js';
