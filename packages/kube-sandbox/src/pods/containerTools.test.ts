import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBinDir, findHostBinary } from './containerTools';

describe('buildBinDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-dir-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('links tools by name, under another name, and by absolute path; reports what the host lacks', () => {
    const cat = findHostBinary('cat')!;
    const missing = buildBinDir(dir, [
      'cat',
      `meow=cat`,
      `purr=${cat}`,
      'no-such-tool-here',
      'gone=no-such-tool-here',
      'abs=/no/such/binary',
      '../escape=cat',
    ]);
    expect(fs.readlinkSync(path.join(dir, 'cat'))).toBe(cat);
    expect(fs.readlinkSync(path.join(dir, 'meow'))).toBe(cat);
    expect(fs.readlinkSync(path.join(dir, 'purr'))).toBe(cat);
    expect(missing).toEqual([
      'no-such-tool-here',
      'gone=no-such-tool-here',
      'abs=/no/such/binary',
      '../escape=cat',
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['cat', 'meow', 'purr']);
  });
});
