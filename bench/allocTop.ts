/*
 * Summarises a sampled allocation profile (.heapprofile, from BENCH_BACKEND_ALLOC_PROF): MiB allocated
 * per function, by itself and with its callees.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/allocTop.ts <file.heapprofile> [lines]
 */
import fs from 'node:fs';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const [file, lines = '30'] = process.argv.slice(2);
const { head } = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: Node };
const self = new Map<string, number>();
const total = new Map<string, number>();
const short = (url: string) =>
  url.replace(/.*node_modules\//, '').replace(/.*\/(src|bench)\//, '$1/');

function walk(node: Node): number {
  const f = node.callFrame;
  const name = `${f.functionName || '(anonymous)'} ${short(f.url)}:${
    f.lineNumber + 1
  }`;
  self.set(name, (self.get(name) ?? 0) + node.selfSize);
  let sum = node.selfSize;
  for (const child of node.children) sum += walk(child);
  total.set(name, (total.get(name) ?? 0) + sum);
  return sum;
}

const all = walk(head);
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(lines))
    .map(([n, v]) => `${(v / 1048576).toFixed(2).padStart(9)} MiB  ${n}`)
    .join('\n');
console.log(`${file}: ${(all / 1048576).toFixed(1)} MiB sampled`);
console.log(`\nallocated by itself\n${top(self)}`);
console.log(`\nwith callees\n${top(total)}`);
