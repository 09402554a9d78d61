import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseTools } from './overhead-run';
import { findExecutable } from './tools';

describe('external tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'citadel-tools-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds executables on PATH, and not plain files', () => {
    const tool = join(dir, 'fake-tool-xyz');
    writeFileSync(tool, '#!/bin/sh\n');
    expect(findExecutable('fake-tool-xyz', dir)).toBeUndefined();
    chmodSync(tool, 0o755);
    expect(findExecutable('fake-tool-xyz', dir)).toBe(tool);
    expect(findExecutable(tool)).toBe(tool);
    expect(findExecutable('surely-not-installed-tool-xyz', dir)).toBeUndefined();
  });

  const present = { path: '/x', version: 'v1' };
  const find = (wrk: boolean, nginx: boolean) => ({ wrk: () => (wrk ? present : undefined), nginx: () => (nginx ? present : undefined) });

  it('uses what is installed and says what is missing', () => {
    expect(chooseTools({ load: 'auto', nginx: 'auto' }, find(true, true))).toEqual({ wrk: present, nginx: present, notes: [] });
    const none = chooseTools({ load: 'auto', nginx: 'auto' }, find(false, false));
    expect(none.wrk).toBeUndefined();
    expect(none.nginx).toBeUndefined();
    expect(none.notes.join('\n')).toMatch(/wrk is not installed.*Node load generator/);
    expect(none.notes.join('\n')).toMatch(/nginx is not installed.*path C skipped/);
    expect(chooseTools({ load: 'node', nginx: 'off' }, find(true, true))).toMatchObject({ wrk: undefined, nginx: undefined });
  });

  it('fails when a tool asked for by name is missing', () => {
    expect(() => chooseTools({ load: 'wrk', nginx: 'auto' }, find(false, true))).toThrow(/wrk not found/);
    expect(() => chooseTools({ load: 'auto', nginx: '/opt/nginx' }, find(true, false))).toThrow(/nginx not found/);
  });
});
