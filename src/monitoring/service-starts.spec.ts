import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordServiceStart, SERVICE_STARTS_FILE, stateDirectoryFrom } from './service-starts';

describe('service starts counted in the state directory', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'citadel-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts from 1, adds one per start, and keeps the count in a file', () => {
    expect(recordServiceStart(dir)).toBe(1);
    expect(recordServiceStart(dir)).toBe(2);
    expect(recordServiceStart(dir)).toBe(3);
    expect(readFileSync(join(dir, SERVICE_STARTS_FILE), 'utf8')).toBe('3\n');
  });

  it('creates a missing directory; a file that holds no count starts again from 0 (empty, text, negative, fraction)', () => {
    expect(recordServiceStart(join(dir, 'a', 'b'))).toBe(1);
    for (const junk of ['', 'many', '-4', '2.5']) {
      writeFileSync(join(dir, SERVICE_STARTS_FILE), junk);
      expect(recordServiceStart(dir)).toBe(1);
    }
  });

  it("reads systemd's $STATE_DIRECTORY: the first of several folders, nothing when unset or empty", () => {
    expect(stateDirectoryFrom('/var/lib/citadel-llm/test')).toBe('/var/lib/citadel-llm/test');
    expect(stateDirectoryFrom('/var/lib/a:/var/lib/b')).toBe('/var/lib/a');
    expect(stateDirectoryFrom(undefined)).toBeUndefined();
    expect(stateDirectoryFrom('')).toBeUndefined();
  });
});
