import fs from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { TOOLS_ANNOTATION_PREFIX } from './pods/containerTools';
import { FAIL_ANNOTATION, START_DELAY_ANNOTATION } from './pods/PodRuntime';
import { KubeObject, OwnerReference } from './types';

/*
 * The seed file: the state a sandbox starts with. A compact form for the common things (namespaces,
 * pods with their "image" contents, users) and `objects` for any other manifest, e.g. RBAC.
 */

const envSchema = z.union([
  z.record(z.string()),
  z.array(
    z.object({ name: z.string(), value: z.string().optional() }).passthrough(),
  ),
]);

const containerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  /** Shells the container has, e.g. `[bash, sh]`; joined with `tools` into its PATH. */
  shells: z.array(z.string()).optional(),
  tools: z.array(z.string()).optional(),
  env: envSchema.optional(),
});

const podSchema = z.object({
  name: z.string(),
  namespace: z.string().default('default'),
  labels: z.record(z.string()).optional(),
  annotations: z.record(z.string()).optional(),
  serviceAccountName: z.string().optional(),
  /** Start delay for this pod; seeded pods otherwise start at once. */
  startDelayMs: z.number().int().nonnegative().optional(),
  /** A declared failure such as `ImagePullBackOff`. */
  fail: z.string().optional(),
  activeDeadlineSeconds: z.number().int().positive().optional(),
  /** Owners named without uid (e.g. a ReplicaSet from `objects`); the uid is filled in at load. */
  ownerReferences: z
    .array(
      z.object({
        apiVersion: z.string(),
        kind: z.string(),
        name: z.string(),
        controller: z.boolean().optional(),
        blockOwnerDeletion: z.boolean().optional(),
      }),
    )
    .optional(),
  containers: z.array(containerSchema).min(1),
});

const userSchema = z.object({
  name: z.string().min(1),
  token: z.string().min(1).optional(),
  groups: z.array(z.string()).optional(),
});

const namespaceSchema = z.union([
  z.string(),
  z.object({
    name: z.string(),
    labels: z.record(z.string()).optional(),
    annotations: z.record(z.string()).optional(),
  }),
]);

const imageSchema = z.union([
  z.array(z.string()),
  z.object({
    shells: z.array(z.string()).optional(),
    tools: z.array(z.string()).optional(),
  }),
]);

/** The seed, as a file or an object. @public */
export const seedSchema = z
  .object({
    users: z.array(userSchema).default([]),
    images: z.record(imageSchema).default({}),
    namespaces: z.array(namespaceSchema).default([]),
    pods: z.array(podSchema).default([]),
    objects: z.array(z.record(z.unknown())).default([]),
  })
  .strict();

/** @public */
export type SeedObject = z.input<typeof seedSchema>;
export type Seed = z.output<typeof seedSchema>;

export function parseSeed(input: string | SeedObject | undefined): Seed {
  let raw: unknown = input ?? {};
  let source = 'seed';
  if (typeof input === 'string') {
    let text: string;
    try {
      text = fs.readFileSync(input, 'utf8');
    } catch (error) {
      throw new Error(
        `cannot read seed file ${input}: ${(error as Error).message}`,
      );
    }
    source = input;
    raw = parse(text) ?? {};
  }
  const result = seedSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map(
      i => `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new Error(`invalid ${source}:\n  ${issues.join('\n  ')}`);
  }
  return result.data;
}

export function imageTools(seed: Seed): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(seed.images).map(([image, def]) => [
      image,
      Array.isArray(def) ? def : [...(def.shells ?? []), ...(def.tools ?? [])],
    ]),
  );
}

function envList(
  env: z.infer<typeof envSchema> | undefined,
): unknown[] | undefined {
  if (!env) return undefined;
  if (Array.isArray(env)) return env;
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** Turns a compact seed pod into a Pod manifest; tools travel as annotations. */
export function podManifest(pod: Seed['pods'][number]): KubeObject {
  const annotations: Record<string, string> = { ...pod.annotations };
  for (const c of pod.containers) {
    if (c.shells || c.tools) {
      annotations[`${TOOLS_ANNOTATION_PREFIX}${c.name}`] = [
        ...(c.shells ?? []),
        ...(c.tools ?? []),
      ].join(',');
    }
  }
  if (pod.startDelayMs !== undefined)
    annotations[START_DELAY_ANNOTATION] = String(pod.startDelayMs);
  if (pod.fail) annotations[FAIL_ANNOTATION] = pod.fail;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      ...(pod.labels ? { labels: pod.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(pod.ownerReferences
        ? { ownerReferences: pod.ownerReferences as OwnerReference[] }
        : {}),
    },
    spec: {
      ...(pod.serviceAccountName
        ? { serviceAccountName: pod.serviceAccountName }
        : {}),
      ...(pod.activeDeadlineSeconds
        ? { activeDeadlineSeconds: pod.activeDeadlineSeconds }
        : {}),
      containers: pod.containers.map(c => ({
        name: c.name,
        image: c.image ?? 'sandbox/default:latest',
        ...(c.env ? { env: envList(c.env) } : {}),
      })),
    },
  };
}

/** Manifests in dependency order: namespaces, service accounts, RBAC and the rest, pods last. */
export function orderedObjects(seed: Seed): KubeObject[] {
  const flat: KubeObject[] = [];
  for (const o of seed.objects as KubeObject[]) {
    if (o.kind === 'List' && Array.isArray(o.items)) flat.push(...o.items);
    else flat.push(o);
  }
  const ranks: Record<string, number> = {
    Namespace: 0,
    ServiceAccount: 1,
    Pod: 3,
  };
  const rank = (o: KubeObject) => ranks[o.kind] ?? 2;
  return flat.sort((a, b) => rank(a) - rank(b));
}
