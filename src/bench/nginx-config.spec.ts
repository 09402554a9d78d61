import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNginxConfig, upstreamAddress } from './nginx-config';
import { detectNginx } from './tools';

describe('nginx configuration', () => {
  const options = { prefix: '/tmp/p', listenHost: '127.0.0.1', listenPort: 18080, upstreams: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002/'] };

  it('proxies to every upstream over keep-alive HTTP/1.1 with buffering off', () => {
    const conf = renderNginxConfig(options);
    expect(conf).toContain('daemon off;');
    expect(conf).toContain('worker_processes 1;');
    expect(conf).toContain('listen 127.0.0.1:18080');
    expect(conf).toContain('server 127.0.0.1:9001;');
    expect(conf).toContain('server 127.0.0.1:9002;');
    for (const directive of ['proxy_pass http://engine;', 'proxy_http_version 1.1;', 'proxy_set_header Connection "";', 'proxy_buffering off;', 'proxy_request_buffering off;', 'access_log off;', 'keepalive 256;']) {
      expect(conf).toContain(directive);
    }
    expect(conf).toContain('pid /tmp/p/nginx.pid;');
  });

  it('takes http upstreams only, and at least one', () => {
    expect(upstreamAddress('http://[::1]:80/')).toBe('[::1]:80');
    expect(upstreamAddress('http://localhost')).toBe('localhost:80');
    expect(() => upstreamAddress('https://x:1')).toThrow(/http/);
    expect(() => renderNginxConfig({ ...options, upstreams: [] })).toThrow(/upstream/);
  });

  const nginx = detectNginx();
  (nginx ? it : it.skip)('passes "nginx -t" (skipped when nginx is not installed)', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'citadel-nginx-test-'));
    try {
      chmodSync(prefix, 0o755);
      const conf = join(prefix, 'nginx.conf');
      writeFileSync(conf, renderNginxConfig({ ...options, prefix }));
      const r = spawnSync(nginx!.path, ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8' });
      expect(r.stderr).toContain('syntax is ok');
      expect(r.status).toBe(0);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
  if (!nginx) it('notes that nginx is missing', () => console.warn('nginx is not installed: "nginx -t" skipped'));
});
