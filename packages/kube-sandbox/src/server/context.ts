import type { IncomingMessage, ServerResponse } from 'node:http';
import { Authenticator } from '../auth/authenticate';
import { RbacAuthorizer } from '../auth/rbac';
import { ServiceAccountTokens } from '../auth/serviceAccountTokens';
import { Registry } from '../registry/Registry';
import { ResourceType } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { SandboxLogger, UserInfo } from '../types';
import type { AuditLog } from './auditLog';
import { RequestInfo } from './requestInfo';

/** What the HTTP layer needs from the rest of the sandbox. */
export interface ApiContext {
  store: ObjectStore;
  registry: Registry;
  rbac: RbacAuthorizer;
  authenticator: Authenticator;
  serviceAccountTokens: ServiceAccountTokens;
  logger: SandboxLogger;
  minTokenExpirationSeconds: number;
  /** The audit log; always kept in memory, written to a file when asked. */
  audit?: AuditLog;
  /** Open watch responses, ended when the sandbox closes. */
  openWatches: Set<ServerResponse>;
}

/** One authenticated, authorized resource request on its way to a handler. */
export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  resource: ResourceType;
  user: UserInfo;
}
