import {
  api,
  impersonatorRbac,
  podManifest,
  TEST_SEED,
} from '../__testUtils__/sandboxTest';
import { SandboxCluster, startSandbox } from '../index';

describe('authentication and authorization over HTTP', () => {
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startSandbox({
      seed: TEST_SEED,
      adminToken: 'test-admin',
      minTokenExpirationSeconds: 1,
    });
    sandbox.apply([
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'robot', namespace: 'demo' },
      },
      ...impersonatorRbac('proxy', 'impersonator'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'robot-edit', namespace: 'demo' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'edit',
        },
        subjects: [
          { kind: 'ServiceAccount', name: 'robot', namespace: 'demo' },
        ],
      },
    ]);
    sandbox.addUser({ name: 'proxy', token: 'proxy-token' });
  });
  afterAll(() => sandbox.close());

  it('uses the admin token given and tokens from the seed', async () => {
    expect(sandbox.adminToken).toBe('test-admin');
    expect(sandbox.tokenFor('alice')).toBe('alice-token');
    const who = await api(
      sandbox,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { token: 'bob-token', body: {} },
    );
    expect(who.body.status.userInfo).toEqual({
      username: 'bob',
      groups: ['viewers', 'system:authenticated'],
    });
  });

  it('returns Forbidden with the real wording', async () => {
    const res = await api(sandbox, 'GET', '/api/v1/namespaces/other/pods', {
      token: 'bob-token',
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "other"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    expect(
      (
        await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
          token: 'bob-token',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api(sandbox, 'GET', '/api/v1/namespaces/demo/secrets', {
          token: 'bob-token',
        })
      ).status,
    ).toBe(403);
    const ns = await api(sandbox, 'GET', '/api/v1/namespaces', {
      token: 'alice-token',
    });
    expect(ns.body.message).toBe(
      'namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
  });

  it('answers SelfSubjectAccessReviews and SelfSubjectRulesReviews', async () => {
    const review = (token: string, resourceAttributes: object) =>
      api(
        sandbox,
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          token,
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes },
          },
        },
      );
    const yes = await review('bob-token', {
      namespace: 'demo',
      verb: 'list',
      resource: 'pods',
    });
    expect(yes.status).toBe(201);
    expect(yes.body.status.allowed).toBe(true);
    expect(yes.body.status.reason).toContain(
      'RoleBinding "bob-view" of ClusterRole "view" to Group "viewers"',
    );
    const no = await review('bob-token', {
      namespace: 'demo',
      verb: 'create',
      resource: 'pods',
      subresource: 'exec',
    });
    expect(no.body.status).toEqual({ allowed: false });
    const rules = await api(
      sandbox,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      {
        token: 'bob-token',
        body: { spec: { namespace: 'demo' } },
      },
    );
    expect(rules.body.status.resourceRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resources: expect.arrayContaining(['pods']),
          verbs: ['get', 'list', 'watch'],
        }),
      ]),
    );
  });

  it('honours impersonation only for callers allowed to impersonate', async () => {
    const asBob = await api(sandbox, 'GET', '/api/v1/namespaces/other/pods', {
      token: 'proxy-token',
      headers: { 'Impersonate-User': 'bob', 'Impersonate-Group': 'viewers' },
    });
    expect(asBob.body.message).toBe(
      'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "other"',
    );
    const allowed = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
      token: 'proxy-token',
      headers: { 'Impersonate-User': 'bob', 'Impersonate-Group': 'viewers' },
    });
    expect(allowed.status).toBe(200);
    const refused = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
      token: 'alice-token',
      headers: { 'Impersonate-User': 'bob' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const masters = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
      token: 'proxy-token',
      headers: {
        'Impersonate-User': 'eve',
        'Impersonate-Group': 'system:masters',
      },
    });
    expect(masters.status).toBe(200);
    const groupOnly = await api(
      sandbox,
      'GET',
      '/api/v1/namespaces/demo/pods',
      { headers: { 'Impersonate-Group': 'x' } },
    );
    expect(groupOnly.status).toBe(400);
  });

  it('issues TokenRequest tokens that authenticate as the service account and expire', async () => {
    const tooShort = await api(
      sandbox,
      'POST',
      '/api/v1/namespaces/demo/serviceaccounts/robot/token',
      { body: { spec: { expirationSeconds: 0 } } },
    );
    expect(tooShort.status).toBe(422);
    const issued = await api(
      sandbox,
      'POST',
      '/api/v1/namespaces/demo/serviceaccounts/robot/token',
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 2 },
        },
      },
    );
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      spec: { expirationSeconds: 2 },
    });
    const token = issued.body.status.token;
    expect(Date.parse(issued.body.status.expirationTimestamp)).toBeGreaterThan(
      Date.now(),
    );
    const claims = JSON.parse(
      Buffer.from(token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.sub).toBe('system:serviceaccount:demo:robot');

    const who = await api(
      sandbox,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { token, body: {} },
    );
    expect(who.body.status.userInfo.username).toBe(
      'system:serviceaccount:demo:robot',
    );
    expect(who.body.status.userInfo.groups).toEqual([
      'system:serviceaccounts',
      'system:serviceaccounts:demo',
      'system:authenticated',
    ]);
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', { token }))
        .status,
    ).toBe(200);
    const forbidden = await api(
      sandbox,
      'GET',
      '/api/v1/namespaces/other/pods',
      { token },
    );
    expect(forbidden.body.message).toContain(
      'User "system:serviceaccount:demo:robot" cannot list',
    );
    const review = await api(
      sandbox,
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      { body: { spec: { token } } },
    );
    expect(review.body.status.authenticated).toBe(true);

    await new Promise(r => setTimeout(r, 2100));
    const expired = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
      token,
    });
    expect(expired.status).toBe(401);
  });

  it('invalidates tokens bound to a pod when the pod goes away', async () => {
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      body: podManifest('bound', { spec: { serviceAccountName: 'robot' } }),
    });
    const pod = (
      await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/bound')
    ).body;
    const issued = await api(
      sandbox,
      'POST',
      '/api/v1/namespaces/demo/serviceaccounts/robot/token',
      {
        body: {
          spec: {
            expirationSeconds: 600,
            boundObjectRef: {
              kind: 'Pod',
              apiVersion: 'v1',
              name: 'bound',
              uid: pod.metadata.uid,
            },
          },
        },
      },
    );
    const token = issued.body.status.token;
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', { token }))
        .status,
    ).toBe(200);
    await api(sandbox, 'DELETE', '/api/v1/namespaces/demo/pods/bound');
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', { token }))
        .status,
    ).toBe(401);
  });
});
