import { randomBytes } from 'node:crypto';
import { Registry } from './registry/Registry';
import { nowTimestamp, SANDBOX_NODE } from './registry/podStrategy';
import { RESOURCE_TYPES } from './resources';
import { KubeObject } from './types';

/** Core v1 Events as the kubelet writes them, so `kubectl describe` / `get events` look familiar. */
export class EventRecorder {
  constructor(
    private readonly registry: Registry,
    private readonly onError: (e: unknown) => void,
  ) {}

  record(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    options: { fieldPath?: string; component?: string } = {},
  ): void {
    const now = nowTimestamp();
    const component = options.component ?? 'kubelet';
    try {
      this.registry.create(RESOURCE_TYPES.events, involved.metadata.namespace, {
        metadata: {
          name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`,
          namespace: involved.metadata.namespace,
        },
        involvedObject: {
          kind: involved.kind,
          namespace: involved.metadata.namespace,
          name: involved.metadata.name,
          uid: involved.metadata.uid,
          apiVersion: involved.apiVersion,
          resourceVersion: involved.metadata.resourceVersion,
          ...(options.fieldPath ? { fieldPath: options.fieldPath } : {}),
        },
        reason,
        message,
        source: {
          component,
          ...(component === 'kubelet' ? { host: SANDBOX_NODE } : {}),
        },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: component === 'kubelet' ? SANDBOX_NODE : '',
      });
    } catch (error) {
      // An event for an object whose namespace just went away is not worth failing anything for.
      this.onError(error);
    }
  }
}
