import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { kubernetesTerminalAuditReadPermission } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type express from 'express';
import { z } from 'zod';

/*
 * What the plugin's routers share about requests: how input is checked (its schemas, and the one
 * parser that answers 400 with the reason), and who reads the sessions and the audit log.
 */

/**
 * Parses route input; a failure answers 400 naming the field (a token's value is never echoed back:
 * the path names it). @internal
 */
export function parseInput<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  what = 'body',
): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${issue.path.join('.') || what}: ${issue.message}`);
  }
  return parsed.data;
}

// Kubernetes names: DNS-1123 labels for namespaces and containers, subdomains for pods.
/** @internal */
export const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label');
/** @internal */
export const dnsSubdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS-1123 subdomain',
  );
/** @internal */
export const entityRefSchema = z
  .string()
  .min(1)
  .max(1024)
  .transform((ref, ctx) => {
    try {
      return stringifyEntityRef(parseEntityRef(ref));
    } catch (e) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: (e as Error).message,
      });
      return z.NEVER;
    }
  });

/** The person's own cluster credentials (TerminalClusterAuth): tokens, never logged or stored. */
const token = z.string().min(1).max(16384);
/** @internal */
export const clusterAuthSchema = z
  .object({
    google: token.optional(),
    aks: token.optional(),
    oidc: z.record(z.string().min(1).max(253), token).optional(),
  })
  // The Kubernetes plugin's request bodies may carry more providers; they are not ours to read.
  .strip();

/** @internal */
export const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .union([z.enum(values), z.array(z.enum(values)).max(values.length)])
    .transform(v => (Array.isArray(v) ? v : [v]));
/** @internal */
export const isoDate = z
  .string()
  .max(40)
  .refine(v => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date')
  .transform(v => new Date(v));
/** @internal */
export const text = z.string().min(1).max(1024);
/** @internal */
export const page = {
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
};

/**
 * Who reads sessions and events: everyone their own; with `kubernetes.terminal.audit.read`, everyone's.
 *
 * @internal
 */
export function createReader(
  httpAuth: HttpAuthService,
  permissions: PermissionsService,
) {
  return async function reader(req: express.Request) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize(
      [{ permission: kubernetesTerminalAuditReadPermission }],
      { credentials },
    );
    return {
      credentials,
      user: credentials.principal.userEntityRef,
      canReadAll: decision.result === AuthorizeResult.ALLOW,
    };
  };
}
