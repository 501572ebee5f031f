/*
 * What grew between two V8 heap snapshots, by constructor: count and self size, largest first.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/heapDiff.ts before.heapsnapshot after.heapsnapshot [top] [per]
 * `per` divides the figures (e.g. by the number of sessions opened in between).
 */
import fs from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function byConstructor(file: string) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map(f =>
    fields.indexOf(f),
  );
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]];
    const name =
      type === 'object' || type === 'closure'
        ? snap.strings[snap.nodes[i + nameAt]]
        : `(${type})`;
    const key = type === 'closure' ? `closure ${name}` : name;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + sizeAt];
    out.set(key, entry);
  }
  return out;
}

const [beforeFile, afterFile, topArg, perArg] = process.argv.slice(2);
const before = byConstructor(beforeFile);
const after = byConstructor(afterFile);
const per = Number(perArg ?? 1);
const rows = [...after].map(([name, a]) => {
  const b = before.get(name) ?? { count: 0, size: 0 };
  return {
    name,
    count: (a.count - b.count) / per,
    bytes: (a.size - b.size) / per,
  };
});
rows.sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((sum, r) => sum + r.bytes, 0);
process.stdout.write(
  `total self size grown: ${(total / 1024).toFixed(1)} KiB${
    per > 1 ? ` per ${per}th` : ''
  }\n`,
);
for (const r of rows.slice(0, Number(topArg ?? 30))) {
  process.stdout.write(
    `${(r.bytes / 1024).toFixed(2).padStart(9)} KiB ${r.count
      .toFixed(1)
      .padStart(8)}  ${r.name.slice(0, 100)}\n`,
  );
}
