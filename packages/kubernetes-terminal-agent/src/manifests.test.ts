import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** What the install manifests promise in the README, checked on the file itself. */
describe('deploy/agent.yaml', () => {
  const documents = parseAllDocuments(
    fs.readFileSync(path.resolve(__dirname, '../deploy/agent.yaml'), 'utf8'),
  ).map(d => d.toJS());
  const ofKind = (kind: string) => documents.filter(d => d.kind === kind);

  it('grants the agent nothing in the cluster: no RBAC, no service account token', () => {
    expect(
      documents.filter(d =>
        /^(Cluster)?Role(Binding)?$/.test(d.kind as string),
      ),
    ).toEqual([]);
    const [account] = ofKind('ServiceAccount');
    expect(account.automountServiceAccountToken).toBe(false);
    const pod = ofKind('Deployment')[0].spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(account.metadata.name);
  });

  it('runs locked down, with the token from a Secret file, never in the environment', () => {
    const pod = ofKind('Deployment')[0].spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [
        e.name,
        e.value,
      ]),
    );
    expect(env).not.toHaveProperty('AGENT_TOKEN');
    expect(env.AGENT_TOKEN_FILE).toMatch(/^\/var\/run\//);
    const mount = container.volumeMounts.find((m: { mountPath: string }) =>
      env.AGENT_TOKEN_FILE.startsWith(m.mountPath),
    );
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find(
      (v: { name: string }) => v.name === mount.name,
    );
    expect(volume.secret.secretName).toBeTruthy();
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('admits no ingress and lets the agent out only to DNS, the API server and the portal', () => {
    const [policy] = ofKind('NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.podSelector.matchLabels).toEqual(
      ofKind('Deployment')[0].spec.template.metadata.labels,
    );
    // Every egress rule is narrowed by port; those with destinations name single addresses.
    for (const rule of policy.spec.egress) {
      expect(rule.ports.length).toBeGreaterThan(0);
      for (const to of rule.to ?? []) {
        expect(to.ipBlock.cidr).toMatch(/\/32$/);
      }
    }
  });
});
