/*
 * `yarn start` in this folder: the backend plugin alone, in a minimal backend — the catalog (reading the
 * repository's examples), guest sign-in, every permission allowed — and a sandbox cluster on
 * 127.0.0.1:7010 seeded with the demo service's pods. Config: the repository's app-config.yaml, whose
 * `kubernetes:` section points at that sandbox. Development only: the sandbox runs real processes on
 * this machine.
 */
import { createBackend } from '@backstage/backend-defaults';
import { startSandbox } from '@internal/kube-sandbox';
import path from 'node:path';

async function main() {
  const sandbox = await startSandbox({
    port: Number(process.env.KT_SANDBOX_PORT ?? 7010),
    seed: path.resolve(__dirname, '../../../examples/sandbox-seed.yaml'),
  });
  process.once('exit', () => void sandbox.close());
  // eslint-disable-next-line no-console
  console.log(`sandbox cluster at ${sandbox.url}`);

  const backend = createBackend();
  backend.add(import('@backstage/plugin-auth-backend'));
  backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
  backend.add(import('@backstage/plugin-catalog-backend'));
  backend.add(import('@backstage/plugin-permission-backend'));
  backend.add(
    import('@backstage/plugin-permission-backend-module-allow-all-policy'),
  );
  backend.add(import('../src'));
  await backend.start();
}

main().catch(error => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exit(1);
});
