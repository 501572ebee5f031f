import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { UserInfo } from '../types';
import { RequestInfo } from './requestInfo';

/*
 * The API server's audit log at level Metadata (`--audit-log-path`): one audit.k8s.io/v1 Event per
 * request, as JSON lines, naming the authenticated user and, when it impersonated someone, the
 * impersonated user. Kept in memory too (the last MAX_KEPT) for tests that run the sandbox in-process.
 */

/** One entry of the audit log, as the API server writes it. @public */
export interface SandboxAuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: 'Metadata';
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: { username: string; groups: string[] };
  impersonatedUser?: { username: string; groups: string[] };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus: { metadata: object; code: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

const MAX_KEPT = 5000;

export class AuditLog {
  private readonly kept: SandboxAuditEvent[] = [];
  private readonly fd?: number;

  constructor(path?: string) {
    if (path) this.fd = fs.openSync(path, 'a', 0o600);
  }

  record(
    req: IncomingMessage,
    details: {
      code: number;
      caller?: UserInfo;
      user?: UserInfo;
      info?: RequestInfo;
    },
  ): void {
    const { caller, user, info } = details;
    const now = new Date().toISOString();
    const event: SandboxAuditEvent = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: randomUUID(),
      stage: 'ResponseComplete',
      requestURI: req.url ?? '/',
      verb: info?.verb ?? (req.method ?? 'get').toLowerCase(),
      user: userJson(caller),
      ...(user &&
        caller &&
        user !== caller && { impersonatedUser: userJson(user) }),
      sourceIPs: [req.socket.remoteAddress ?? ''],
      ...(req.headers['user-agent'] && {
        userAgent: req.headers['user-agent'],
      }),
      ...(info?.isResourceRequest && {
        objectRef: {
          resource: info.resource,
          ...(info.namespace && { namespace: info.namespace }),
          ...(info.name && { name: info.name }),
          apiGroup: info.apiGroup,
          apiVersion: info.apiVersion,
          ...(info.subresource && { subresource: info.subresource }),
        },
      }),
      responseStatus: { metadata: {}, code: details.code },
      requestReceivedTimestamp: now,
      stageTimestamp: now,
    };
    this.kept.push(event);
    if (this.kept.length > MAX_KEPT) this.kept.shift();
    if (this.fd !== undefined) {
      fs.writeSync(this.fd, `${JSON.stringify(event)}\n`);
    }
  }

  events(): SandboxAuditEvent[] {
    return [...this.kept];
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}

function userJson(user: UserInfo | undefined) {
  return user
    ? { username: user.name, groups: user.groups }
    : { username: 'system:anonymous', groups: ['system:unauthenticated'] };
}
