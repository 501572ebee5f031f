import type { Config } from '@backstage/config';
import { hashAgentToken } from '@kubernetes-terminal/kubernetes-terminal-agent';
import { timingSafeEqual } from 'node:crypto';

/** One token an agent may present: its id (shown in health and audit) and its SHA-256. @internal */
export interface AgentTokenEntry {
  id: string;
  sha256: Buffer;
}

/** The clusters reached through an agent, with the tokens each accepts. @internal */
export type AgentClusters = Map<string, AgentTokenEntry[]>;

const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `kubernetesTerminal.clusters.<name>.agent.tokens`: a cluster with this block is reached only through
 * its agent. Tokens are stored as SHA-256 (of a 256-bit random token, so no slow hash is needed); several
 * may be listed at once, which is how a token is rotated without downtime (add the new one, roll the
 * agent, remove the old one).
 *
 * @internal
 */
export function readAgentClusters(config: Config): AgentClusters {
  const result: AgentClusters = new Map();
  const clusters = config.getOptionalConfig('kubernetesTerminal.clusters');
  for (const name of clusters?.keys() ?? []) {
    const key = `kubernetesTerminal.clusters.${name}.agent`;
    const block = config.getOptionalConfig(key);
    if (!block) continue;
    const tokens = block.getOptionalConfigArray('tokens') ?? [];
    const ids = new Set<string>();
    const entries = tokens.map((token, i) => {
      const id = token.getString('id');
      const sha256 = token.getString('sha256').toLowerCase();
      if (!ID_PATTERN.test(id)) {
        throw new Error(
          `${key}.tokens[${i}].id must be 1–64 letters, digits, dots, dashes or underscores`,
        );
      }
      if (ids.has(id)) {
        throw new Error(`${key}.tokens has the id '${id}' twice`);
      }
      ids.add(id);
      if (!/^[0-9a-f]{64}$/.test(sha256)) {
        throw new Error(
          `${key}.tokens[${i}].sha256 must be the token's SHA-256 in hex (64 characters), as \`kubernetes-terminal-agent token\` prints it; never the token itself`,
        );
      }
      return { id, sha256: Buffer.from(sha256, 'hex') };
    });
    result.set(name, entries);
  }
  return result;
}

/** The entry the token matches, compared in constant time. @internal */
export function matchAgentToken(
  entries: AgentTokenEntry[],
  token: string,
): AgentTokenEntry | undefined {
  const hash = Buffer.from(hashAgentToken(token), 'hex');
  let found: AgentTokenEntry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(entry.sha256, hash)) found ??= entry;
  }
  return found;
}
