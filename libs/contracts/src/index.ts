export * from './envelope/event-envelope.js';
export * from './envelope/define-event.js';
export * from './user/user-signed-up.v1.js';
