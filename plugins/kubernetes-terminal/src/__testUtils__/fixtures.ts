import type {
  CreateTerminalSessionResponse,
  TerminalCluster,
  TerminalSessionPodAvailability,
  TerminalTargetsResponse,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** @internal */
export const entityRef = 'component:default/web';

/** @internal */
export const twoClusters: TerminalCluster[] = [
  {
    name: 'prod',
    title: 'Production',
    pods: [
      {
        name: 'web-1',
        namespace: 'shop',
        phase: 'Running',
        ready: true,
        containers: [
          { name: 'app', ready: true, state: 'running' },
          { name: 'sidecar', ready: false, state: 'waiting: CrashLoopBackOff' },
        ],
      },
      {
        name: 'web-2',
        namespace: 'shop',
        phase: 'Pending',
        ready: false,
        containers: [{ name: 'app', ready: false, state: 'waiting' }],
      },
      {
        name: 'worker-1',
        namespace: 'jobs',
        phase: 'Running',
        ready: true,
        containers: [{ name: 'worker', ready: true, state: 'running' }],
      },
    ],
  },
  {
    name: 'staging',
    pods: [
      {
        name: 'web-s',
        namespace: 'shop',
        phase: 'Running',
        ready: true,
        containers: [{ name: 'app', ready: true, state: 'running' }],
      },
    ],
  },
  {
    name: 'edge',
    pods: [],
    error: {
      reason: 'UNREACHABLE',
      message: 'connect ECONNREFUSED 10.0.0.1:6443',
    },
  },
];

/** @internal */
export const singleContainer: TerminalCluster[] = [
  {
    name: 'local',
    pods: [
      {
        name: 'web-1',
        namespace: 'default',
        phase: 'Running',
        ready: true,
        containers: [{ name: 'app', ready: true, state: 'running' }],
      },
    ],
  },
];

/**
 * The clusters with the session pod mode: on in prod (namespaces jobs and shop, view role) and
 * staging, absent in edge. `availability` overrides prod's and staging's.
 *
 * @internal
 */
export function sessionPodClusters(
  availability: Partial<TerminalSessionPodAvailability> = {},
): TerminalCluster[] {
  return twoClusters.map(cluster => {
    if (cluster.name === 'edge') {
      return cluster;
    }
    return {
      ...cluster,
      sessionPod: {
        enabled: true,
        canCreate: true,
        namespaces: cluster.name === 'prod' ? ['shop', 'jobs'] : ['shop'],
        clusterRole: 'view',
        ...availability,
      },
    };
  });
}

/** @internal */
export function targetsResponse(
  overrides: Partial<TerminalTargetsResponse> = {},
): TerminalTargetsResponse {
  return {
    entityRef,
    annotated: true,
    canExec: true,
    labelSelector: 'backstage.io/kubernetes-id=web',
    clusters: singleContainer,
    ...overrides,
  };
}

/** @internal */
export const session: CreateTerminalSessionResponse = {
  sessionId: 'session-1',
  ticket: 'ticket-1',
  ticketExpiresAt: '2030-01-01T00:00:00Z',
  streamPath: '/sessions/session-1/stream',
};

/**
 * A ResponseError as the client throws it for a Backstage error body.
 *
 * @internal
 */
export async function responseError(
  status: number,
  name: string,
  message: string,
) {
  const { ResponseError } = await import('@backstage/errors');
  const body = JSON.stringify({
    error: { name, message },
    response: { statusCode: status },
  });
  return ResponseError.fromResponse({
    ok: false,
    status,
    statusText: name,
    url: 'http://example.com/api/kubernetes-terminal/sessions',
    type: 'basic',
    redirected: false,
    headers: {
      get: (header: string) =>
        header.toLowerCase() === 'content-type' ? 'application/json' : null,
    } as Headers,
    text: async () => body,
  });
}
