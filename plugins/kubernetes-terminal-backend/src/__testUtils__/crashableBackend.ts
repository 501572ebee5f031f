/*
 * A terminal backend in a process of its own, for tests that kill it with SIGKILL:
 *   node -r @backstage/cli/config/nodeTransform.cjs crashableBackend.ts '{"sandbox":…,"dbFile":…}'
 * Prints `READY <port>` once it listens. Everything is allowed; users authenticate with mock tokens.
 */
import knexFactory from 'knex';
import {
  startTerminalBackend,
  type TerminalBackendOptions,
  type SandboxEndpoint,
} from './terminalBackend';

async function main() {
  const options = JSON.parse(process.argv[2]) as {
    sandbox: SandboxEndpoint;
    dbFile: string;
    terminalConfig: TerminalBackendOptions['terminalConfig'];
  };
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: options.dbFile },
    useNullAsDefault: true,
  });
  const { port } = await startTerminalBackend(options.sandbox, {
    knex,
    terminalConfig: options.terminalConfig,
    skipTaskRunOnStartup: true,
  });
  process.stdout.write(`READY ${port}\n`);
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
