import { stringify } from 'yaml';

/** A kubeconfig with one cluster, one user (bearer token) and one context named `kube-sandbox`. */
export function renderKubeconfig(options: {
  server: string;
  caCertificate?: string;
  user: string;
  token: string;
  namespace?: string;
}): string {
  const context = 'kube-sandbox';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      {
        name: 'kube-sandbox',
        cluster: {
          server: options.server,
          ...(options.caCertificate
            ? {
                'certificate-authority-data': Buffer.from(
                  options.caCertificate,
                ).toString('base64'),
              }
            : {}),
        },
      },
    ],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [
      {
        name: context,
        context: {
          cluster: 'kube-sandbox',
          user: options.user,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': context,
  });
}
