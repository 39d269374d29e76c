export * from './security.error.js';
export * from './principal.js';
export * from './tenant.js';
export * from './redact.js';
export * from './acl/acl-types.js';
export * from './acl/acl-binding.js';
export * from './acl/acl-index.js';
export * from './acl/authorizer.js';
