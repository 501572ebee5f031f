// The install steps a plugin's README gives, read from its fenced code blocks marked `install`:
//
//   ```sh install                                   commands, run from the app's root
//   ```ts install packages/backend/src/index.ts before "backend.start();"
//                                                   lines inserted before the first line holding the anchor
//
// The install test applies exactly these and nothing else, so a step missing from a README, or a wrong
// one, fails it.
import fs from 'node:fs';

const FENCE = /^```(\S+) install(?: (\S+) before "([^"]+)")?\s*$/;

/** The steps of one README, in order. */
export function readInstallSteps(readmePath) {
  const lines = fs.readFileSync(readmePath, 'utf8').split('\n');
  const steps = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const body = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++)
      body.push(lines[i]);
    const [, lang, file, anchor] = open;
    if (lang === 'sh') {
      for (const line of body) {
        const command = line.trim();
        if (command && !command.startsWith('#'))
          steps.push({ kind: 'run', command });
      }
    } else if (file && anchor) {
      steps.push({ kind: 'insert', file, anchor, text: body.join('\n') });
    } else {
      throw new Error(
        `${readmePath}: an install block of ${lang} needs "<file> before \\"<anchor>\\""`,
      );
    }
  }
  return steps;
}

/** Inserts a step's text before the first line of the file that holds its anchor. */
export function applyInsert(appDir, step) {
  const file = `${appDir}/${step.file}`;
  const source = fs.readFileSync(file, 'utf8').split('\n');
  const at = source.findIndex(line => line.includes(step.anchor));
  if (at < 0) throw new Error(`${step.file} has no line with "${step.anchor}"`);
  source.splice(at, 0, ...step.text.split('\n'));
  fs.writeFileSync(file, source.join('\n'));
}
