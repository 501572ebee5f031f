import { FieldError } from '../status';
import { KubeObject } from '../types';
import { dns1123LabelErrors } from '../validation';
import type { KindStrategy } from './strategies';

/** The one node every sandbox pod is "scheduled" to. */
export const SANDBOX_NODE = 'sandbox-node';
export const SANDBOX_HOST_IP = '127.0.0.1';

export function nowTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function defaultContainer(c: any): void {
  if (!c || typeof c !== 'object') return;
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@')
    ? 'digest'
    : /:[^/]+$/.exec(image)?.[0].slice(1);
  c.imagePullPolicy ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
}

function qosClass(spec: any): string {
  const containers: any[] = spec.containers ?? [];
  const any = containers.some(
    c => c.resources?.requests || c.resources?.limits,
  );
  if (!any) return 'BestEffort';
  const guaranteed = containers.every(
    c =>
      c.resources?.limits?.cpu &&
      c.resources?.limits?.memory &&
      (!c.resources.requests ||
        (c.resources.requests.cpu === c.resources.limits.cpu &&
          c.resources.requests.memory === c.resources.limits.memory)),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Status of a pod that has been scheduled and waits for its containers, as the kubelet reports it. */
export function pendingStatus(pod: KubeObject, now: string): any {
  return {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
      },
    ],
    hostIP: SANDBOX_HOST_IP,
    hostIPs: [{ ip: SANDBOX_HOST_IP }],
    startTime: now,
    containerStatuses: (pod.spec.containers ?? []).map((c: any) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
    })),
    qosClass: qosClass(pod.spec),
  };
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const MUTABLE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validateContainers(spec: any): FieldError[] {
  const errors: FieldError[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    errors.push({ field: 'spec.containers', type: 'FieldValueRequired' });
    return errors;
  }
  const seen = new Set<string>();
  const check = (list: any[], path: string) =>
    list.forEach((c, i) => {
      const at = `${path}[${i}]`;
      if (!c || typeof c !== 'object') {
        errors.push({
          field: at,
          type: 'FieldValueInvalid',
          value: c,
          detail: 'must be an object',
        });
        return;
      }
      if (!c.name)
        errors.push({ field: `${at}.name`, type: 'FieldValueRequired' });
      else {
        for (const detail of dns1123LabelErrors(String(c.name))) {
          errors.push({
            field: `${at}.name`,
            type: 'FieldValueInvalid',
            value: c.name,
            detail,
          });
        }
        if (seen.has(c.name))
          errors.push({
            field: `${at}.name`,
            type: 'FieldValueDuplicate',
            value: c.name,
          });
        seen.add(c.name);
      }
      if (typeof c.image !== 'string' || !c.image.trim()) {
        errors.push({ field: `${at}.image`, type: 'FieldValueRequired' });
      }
      if (
        c.command !== undefined &&
        !(
          Array.isArray(c.command) &&
          c.command.every((a: unknown) => typeof a === 'string')
        )
      ) {
        errors.push({
          field: `${at}.command`,
          type: 'FieldValueInvalid',
          value: c.command,
          detail: 'must be a list of strings',
        });
      }
      (Array.isArray(c.env) ? c.env : []).forEach((e: any, j: number) => {
        if (!e?.name || !ENV_NAME.test(e.name)) {
          errors.push({
            field: `${at}.env[${j}].name`,
            type: 'FieldValueInvalid',
            value: e?.name,
            detail:
              "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
          });
        }
      });
    });
  check(spec.initContainers ?? [], 'spec.initContainers');
  check(spec.containers, 'spec.containers');
  return errors;
}

function withoutMutable(spec: any): any {
  const copy = structuredClone(spec ?? {});
  for (const c of [
    ...(copy.containers ?? []),
    ...(copy.initContainers ?? []),
  ]) {
    delete c.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return copy;
}

function defaultSpec(pod: KubeObject): void {
  pod.spec = pod.spec && typeof pod.spec === 'object' ? pod.spec : {};
  const spec = pod.spec;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.nodeName ??= SANDBOX_NODE;
  if (Array.isArray(spec.containers)) spec.containers.forEach(defaultContainer);
  if (Array.isArray(spec.initContainers))
    spec.initContainers.forEach(defaultContainer);
}

export const podStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  hasSpec: true,
  hasStatus: true,
  prepareForCreate(pod) {
    defaultSpec(pod);
    pod.status = Array.isArray(pod.spec.containers)
      ? pendingStatus(pod, nowTimestamp())
      : {};
  },
  prepareForUpdate(pod) {
    // Defaults again so a client that PUTs back a partial spec is not mistaken for changing it.
    defaultSpec(pod);
  },
  validate(pod, old) {
    const errors = validateContainers(pod.spec ?? {});
    const spec = pod.spec ?? {};
    if (
      spec.activeDeadlineSeconds !== undefined &&
      !(
        Number.isInteger(spec.activeDeadlineSeconds) &&
        spec.activeDeadlineSeconds > 0
      )
    ) {
      errors.push({
        field: 'spec.activeDeadlineSeconds',
        type: 'FieldValueInvalid',
        value: spec.activeDeadlineSeconds,
        detail: 'must be greater than or equal to 1',
      });
    }
    if (!['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
      errors.push({
        field: 'spec.restartPolicy',
        type: 'FieldValueNotSupported',
        value: spec.restartPolicy,
        detail: 'supported values: "Always", "OnFailure", "Never"',
      });
    }
    if (
      old &&
      JSON.stringify(withoutMutable(spec)) !==
        JSON.stringify(withoutMutable(old.spec))
    ) {
      errors.push({
        field: 'spec',
        type: 'FieldValueForbidden',
        detail: MUTABLE_MESSAGE,
      });
    }
    return errors;
  },
};
