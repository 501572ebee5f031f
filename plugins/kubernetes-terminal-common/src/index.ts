/**
 * Permissions, types and the browser-backend wire protocol of the kubernetes-terminal plugins.
 *
 * @packageDocumentation
 */

export * from './permissions';
export * from './types';
export * from './protocol';
export * from './audit';
export * from './asciicast';
export * from './agent';
