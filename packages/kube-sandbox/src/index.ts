/**
 * A Kubernetes-API-compatible sandbox cluster for development, demos and tests. Never for production:
 * exec runs real processes on the host as the sandbox's own OS user.
 *
 * @packageDocumentation
 */

export { startSandbox } from './startSandbox';
/** Self-signed TLS material (an EC key and its certificate), for tests of TLS peers. */
export {
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueClientCertificate,
} from './server/selfSignedCertificate';
export type { TlsMaterial } from './server/selfSignedCertificate';
export type { StartSandboxOptions, SandboxCluster } from './startSandbox';
export type { SeedObject } from './seed';
export type { SandboxOidcOptions } from './auth/oidc';
export type { SandboxAuditEvent } from './server/auditLog';
export { startTestOpenIdIssuer } from './testing/testOpenIdIssuer';
export type { TestOpenIdIssuer } from './testing/testOpenIdIssuer';
export { seedSchema } from './seed';
export type {
  KubeObject,
  ObjectMeta,
  OwnerReference,
  SandboxLogger,
  UserInfo,
} from './types';
export type { KubeStatus } from './status';
export { START_DELAY_ANNOTATION, FAIL_ANNOTATION } from './pods/PodRuntime';
export { TOOLS_ANNOTATION_PREFIX, DEFAULT_TOOLS } from './pods/containerTools';
