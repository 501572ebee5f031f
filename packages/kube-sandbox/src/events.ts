import { Registry } from './registry/Registry';
import { nowTimestamp, SANDBOX_NODE } from './registry/podStrategy';
import { RESOURCE_TYPES } from './resources';
import { KubeObject } from './types';

/** Core v1 Events as the kubelet writes them, so `kubectl describe` / `get events` look familiar. */
export class EventRecorder {
  private lastNanos = 0n;

  /** Unix time in nanoseconds, in hex, strictly increasing (two events in one millisecond differ). */
  private nextSuffix(): string {
    const now = BigInt(Date.now()) * 1_000_000n;
    this.lastNanos = now > this.lastNanos ? now : this.lastNanos + 1n;
    return this.lastNanos.toString(16);
  }

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
          // As client-go's recorder names them: the object, then the time in hex nanoseconds, so that
          // a list (in name order) is in the order the events happened.
          name: `${involved.metadata.name}.${this.nextSuffix()}`,
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
