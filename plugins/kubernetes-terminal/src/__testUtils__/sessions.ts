import { mockApis } from '@backstage/test-utils';
import type { PermissionApi } from '@backstage/plugin-permission-react';
import type {
  TerminalAuditEvent,
  TerminalSessionRecord,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { KubernetesTerminalApi } from '../api';

/** @internal */
export function sessionRecord(
  overrides: Partial<TerminalSessionRecord> = {},
): TerminalSessionRecord {
  return {
    id: 'session-1',
    userEntityRef: 'user:default/alice',
    entityRef: 'component:default/web',
    cluster: 'prod',
    clusterType: 'public',
    namespace: 'shop',
    pod: 'web-1',
    container: 'app',
    kind: 'exec',
    status: 'active',
    createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    lastActivityAt: new Date(Date.now() - 30_000).toISOString(),
    shell: 'bash',
    ...overrides,
  };
}

/** @internal */
export function auditEvent(
  overrides: Partial<TerminalAuditEvent> = {},
): TerminalAuditEvent {
  return {
    id: 'event-1',
    sessionId: 'session-1',
    type: 'command_executed',
    userEntityRef: 'user:default/alice',
    entityRef: 'component:default/web',
    cluster: 'prod',
    namespace: 'shop',
    pod: 'web-1',
    container: 'app',
    command: 'ls -la /tmp',
    createdAt: '2024-05-01T10:00:00.000Z',
    ...overrides,
  };
}

/**
 * A fake API whose session and audit methods answer empty pages unless overridden.
 *
 * @internal
 */
export function fakeSessionsApi(
  overrides: Partial<Record<keyof KubernetesTerminalApi, jest.Mock>> = {},
) {
  return {
    getClusters: jest.fn().mockResolvedValue({ items: [] }),
    getTargets: jest.fn(),
    createSession: jest.fn(),
    openStream: jest.fn(),
    listSessions: jest.fn().mockResolvedValue({ items: [] }),
    getSession: jest.fn(),
    terminateSession: jest.fn().mockResolvedValue(undefined),
    extendSession: jest.fn(),
    listAuditEvents: jest.fn().mockResolvedValue({ items: [] }),
    listAgents: jest.fn().mockResolvedValue({ items: [] }),
    exportAuditEvents: jest.fn(),
    getRecording: jest.fn(),
    downloadRecording: jest.fn(),
    ...overrides,
  };
}

type AuthorizeResultValue = ReturnType<
  Extract<
    NonNullable<
      NonNullable<Parameters<typeof mockApis.permission>[0]>['authorize']
    >,
    (...args: any[]) => any
  >
>;

/**
 * A permission API that allows exactly the named permissions.
 *
 * @internal
 */
export function permissionApi(allowed: string[] = []): PermissionApi {
  return mockApis.permission({
    authorize: request =>
      (allowed.includes(request.permission.name)
        ? 'ALLOW'
        : 'DENY') as AuthorizeResultValue,
  });
}
