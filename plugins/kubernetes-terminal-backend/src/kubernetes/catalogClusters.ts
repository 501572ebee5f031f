import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import type { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_KUBERNETES_API_SERVER,
  ANNOTATION_KUBERNETES_API_SERVER_CA,
  ANNOTATION_KUBERNETES_AUTH_PROVIDER,
  ANNOTATION_KUBERNETES_SKIP_METRICS_LOOKUP,
  ANNOTATION_KUBERNETES_SKIP_TLS_VERIFY,
} from '@backstage/plugin-kubernetes-common';
import type {
  ClusterDetails,
  KubernetesClustersSupplier,
} from '@backstage/plugin-kubernetes-node';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/*
 * The `catalog` cluster locator, read as the Kubernetes plugin's CatalogClusterLocator reads it (that
 * class is not exported): Resource entities of `spec.type: kubernetes-cluster` with the API server, its
 * CA and the auth provider as `kubernetes.io/*` annotations. Its safeguards are kept, since anyone who
 * can register a catalog entity supplies these URLs: no `serviceAccount` clusters (a token would sit in
 * the catalog), no credentials in the URL, no API server on a non-public address unless the locator's
 * `dangerouslyAllowClusterUrls` names the host, `skip-tls-verify` only with
 * `dangerouslyAllowSkipTLSVerify`.
 */

const KUBERNETES_IO_PREFIX = 'kubernetes.io/';

/** @internal */
export class CatalogClusterSupplier implements KubernetesClustersSupplier {
  static fromConfig(
    method: Config,
    options: {
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
    },
  ): CatalogClusterSupplier {
    return new CatalogClusterSupplier(options, {
      allowedHosts: method.getOptionalStringArray(
        'dangerouslyAllowClusterUrls',
      ),
      allowSkipTLSVerify:
        method.getOptionalBoolean('dangerouslyAllowSkipTLSVerify') ?? false,
    });
  }

  private constructor(
    private readonly services: {
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
    },
    private readonly options: {
      allowedHosts?: string[];
      allowSkipTLSVerify: boolean;
    },
  ) {}

  async getClusters(): Promise<ClusterDetails[]> {
    const { items } = await this.services.catalog.getEntities(
      {
        filter: [
          {
            kind: 'Resource',
            'spec.type': 'kubernetes-cluster',
            [`metadata.annotations.${ANNOTATION_KUBERNETES_API_SERVER}`]:
              CATALOG_FILTER_EXISTS,
            [`metadata.annotations.${ANNOTATION_KUBERNETES_API_SERVER_CA}`]:
              CATALOG_FILTER_EXISTS,
            [`metadata.annotations.${ANNOTATION_KUBERNETES_AUTH_PROVIDER}`]:
              CATALOG_FILTER_EXISTS,
          },
        ],
      },
      { credentials: await this.services.auth.getOwnServiceCredentials() },
    );
    const clusters: ClusterDetails[] = [];
    for (const entity of items) {
      const cluster = await this.toClusterDetails(entity);
      if (cluster) clusters.push(cluster);
    }
    return clusters;
  }

  private async toClusterDetails(
    entity: Entity,
  ): Promise<ClusterDetails | undefined> {
    const name = entity.metadata.name;
    const annotations = entity.metadata.annotations ?? {};
    const ignore = (why: string) => {
      this.services.logger.warn(
        `Ignoring kubernetes-cluster Resource "${name}": ${why}`,
      );
      return undefined;
    };
    if (annotations[ANNOTATION_KUBERNETES_AUTH_PROVIDER] === 'serviceAccount') {
      return ignore(
        'the catalog cluster locator does not support the serviceAccount auth provider',
      );
    }
    const url = annotations[ANNOTATION_KUBERNETES_API_SERVER];
    try {
      await this.validateUrl(url);
    } catch (error) {
      return ignore((error as Error).message);
    }
    const authMetadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(annotations)) {
      if (key.startsWith(KUBERNETES_IO_PREFIX)) authMetadata[key] = value;
    }
    return {
      name,
      ...(entity.metadata.title && { title: entity.metadata.title }),
      url,
      authMetadata,
      caData: annotations[ANNOTATION_KUBERNETES_API_SERVER_CA],
      skipMetricsLookup:
        annotations[ANNOTATION_KUBERNETES_SKIP_METRICS_LOOKUP] === 'true',
      skipTLSVerify:
        this.options.allowSkipTLSVerify &&
        annotations[ANNOTATION_KUBERNETES_SKIP_TLS_VERIFY] === 'true',
    };
  }

  private async validateUrl(apiServerUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(apiServerUrl);
    } catch {
      throw new Error('Kubernetes cluster API server URL is not a valid URL');
    }
    if (url.username || url.password) {
      throw new Error(
        'Kubernetes cluster API server URL must not contain credentials',
      );
    }
    const hostname = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (this.allowed(hostname)) return;
    const addresses = ipaddr.isValid(hostname)
      ? [hostname]
      : (await lookup(hostname, { all: true })).map(a => a.address);
    if (addresses.some(a => ipaddr.process(a).range() !== 'unicast')) {
      throw new Error(
        `Kubernetes cluster API server URL hostname "${hostname}" resolves to a non-public address (allow it with dangerouslyAllowClusterUrls)`,
      );
    }
  }

  private allowed(hostname: string): boolean {
    return (this.options.allowedHosts ?? []).some(pattern => {
      const p = pattern.toLowerCase();
      return p.startsWith('*.')
        ? hostname.endsWith(p.slice(1)) || hostname === p.slice(2)
        : hostname === p;
    });
  }
}
