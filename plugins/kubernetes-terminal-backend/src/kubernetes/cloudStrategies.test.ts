import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AzureIdentityStrategy } from '@backstage/plugin-kubernetes-backend';
import { CoreV1Api } from '@kubernetes/client-node';
import { standInApiServer } from '../__testUtils__/standInApiServer';
import { ClusterRegistry } from './ClusterRegistry';
import { defaultStrategies } from './clusterAuth';

/*
 * The cloud providers' strategies cannot reach a cloud here. Each is the Kubernetes plugin's own class,
 * chosen by `authProvider` with the cluster's metadata; only the call to the cloud is replaced (AWS
 * needs none: its token is a presigned STS request, made locally from the credentials), and the
 * credential must land on the request to the cluster.
 */

function registry(
  cluster: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  strategies?: ReturnType<typeof defaultStrategies>,
) {
  const config = new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        { type: 'config', clusters: [{ skipTLSVerify: true, ...cluster }] },
      ],
      ...extra,
    },
  });
  return ClusterRegistry.fromConfig(config, {
    logger: mockServices.logger.mock(),
    strategies,
  });
}

const listPods = (r: ClusterRegistry, name: string) =>
  r.get(name)!.access!({})
    .api(CoreV1Api)
    .listNamespacedPod({ namespace: 'demo' });

describe("the cloud providers' strategies", () => {
  let api: Awaited<ReturnType<typeof standInApiServer>>;

  beforeEach(async () => {
    api = await standInApiServer();
  });
  afterEach(() => api.close());

  describe('aws', () => {
    const saved = { ...process.env };
    beforeEach(() => {
      process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
      process.env.AWS_SECRET_ACCESS_KEY =
        'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
      process.env.AWS_REGION = 'eu-west-1';
      delete process.env.AWS_PROFILE;
    });
    afterEach(() => {
      process.env = { ...saved };
    });

    it('sends an EKS token: a presigned STS GetCallerIdentity for the cluster, fresh at each request', async () => {
      const r = registry({
        name: 'eks-prod',
        url: api.url,
        authProvider: 'aws',
        authMetadata: { 'kubernetes.io/x-k8s-aws-id': 'prod-cluster' },
      });
      await listPods(r, 'eks-prod');
      await new Promise(resolve => setTimeout(resolve, 1100));
      await listPods(r, 'eks-prod');
      const tokens = api.seen.map(h => h!.replace(/^Bearer /, ''));
      for (const token of tokens) {
        expect(token).toMatch(/^k8s-aws-v1\./);
        const presigned = new URL(
          Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString(
            'utf8',
          ),
        );
        expect(presigned.host).toBe('sts.eu-west-1.amazonaws.com');
        expect(presigned.searchParams.get('Action')).toBe('GetCallerIdentity');
        expect(presigned.searchParams.get('X-Amz-Credential')).toMatch(
          /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/sts\/aws4_request$/,
        );
        // The cluster id the token is for is signed into it.
        expect(presigned.searchParams.get('X-Amz-SignedHeaders')).toBe(
          'host;x-k8s-aws-id',
        );
      }
      // Signed at each request (X-Amz-Date moves on), never reused.
      expect(new Set(tokens).size).toBe(2);
    });
  });

  describe('azure', () => {
    it("sends the token of the backend's Azure identity for the AKS scope", async () => {
      const scopes: string[] = [];
      const strategies = defaultStrategies({
        config: new ConfigReader({}),
        logger: mockServices.logger.mock(),
      });
      // The Kubernetes plugin's strategy, with its Azure credential (the SDK's call) replaced.
      strategies.set(
        'azure',
        new AzureIdentityStrategy(mockServices.logger.mock(), {
          getToken: async (scope: string | string[]) => {
            scopes.push(...[scope].flat());
            return {
              token: 'aks-access-token',
              expiresOnTimestamp: Date.now() + 60 * 60 * 1000,
            };
          },
        }),
      );
      const r = registry(
        { name: 'aks-prod', url: api.url, authProvider: 'azure' },
        {},
        strategies,
      );
      await listPods(r, 'aks-prod');
      await listPods(r, 'aks-prod');
      expect(api.seen).toEqual([
        'Bearer aks-access-token',
        'Bearer aks-access-token',
      ]);
      // The AKS server application's scope; asked once while the token is valid, as the strategy caches.
      expect(scopes).toEqual(['6dae42f8-4368-4678-94ff-3960e28e3630/.default']);
    });
  });

  describe('googleServiceAccount', () => {
    it('sends the access token of the configured service account', async () => {
      // The Google client the Kubernetes plugin's strategy uses; only its token call is replaced.
      const googleAuth = jest.requireActual(
        require.resolve('google-auth-library', {
          paths: [require.resolve('@google-cloud/container')],
        }),
      );
      const asked: unknown[] = [];
      const spy = jest
        .spyOn(googleAuth.GoogleAuth.prototype, 'getAccessToken')
        .mockImplementation(async function getAccessToken(this: {
          jsonContent?: { client_email?: string };
        }) {
          asked.push(this.jsonContent?.client_email);
          return 'ya29.service-account-token';
        });
      try {
        const r = registry(
          {
            name: 'gke-prod',
            url: api.url,
            authProvider: 'googleServiceAccount',
          },
          {
            googleServiceAccountCredentials: JSON.stringify({
              type: 'service_account',
              client_email: 'backstage@project.iam.gserviceaccount.com',
              private_key: 'unused: the token call is replaced',
            }),
          },
        );
        await listPods(r, 'gke-prod');
        expect(api.seen).toEqual(['Bearer ya29.service-account-token']);
        expect(asked).toEqual(['backstage@project.iam.gserviceaccount.com']);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
