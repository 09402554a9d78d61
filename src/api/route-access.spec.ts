import { SecurityConfig } from '../config/security-config';
import { routeAccess, routeNeedsKey } from './route-access';

describe('routeAccess (deny by default)', () => {
  it.each([
    ['/health', 'open'],
    ['/health/live', 'open'],
    ['/health/ready', 'open'],
    ['/health/services', 'open'],
    ['/metrics', 'figures'],
    ['/metrics/streaming', 'figures'],
    ['/metrics/efficiency', 'figures'],
    ['/efficiency', 'figures'],
    ['/v1/chat/completions', 'key'],
    ['/v1/models', 'key'],
    ['/anything/else', 'key'],
    [undefined, 'key'],
  ])('%s → %s', (route, access) => {
    expect(routeAccess(route)).toBe(access);
  });

  it('figures need a key only when protect_metrics is set', () => {
    const open = Object.assign(new SecurityConfig(), { protect_metrics: false });
    const protectedFigures = Object.assign(new SecurityConfig(), { protect_metrics: true });
    expect(routeNeedsKey('GET', '/metrics', open)).toBe(false);
    expect(routeNeedsKey('GET', '/metrics', protectedFigures)).toBe(true);
    expect(routeNeedsKey('GET', '/health', protectedFigures)).toBe(false);
  });

  it('a CORS preflight is open only when CORS is configured', () => {
    expect(routeNeedsKey('OPTIONS', '*', new SecurityConfig())).toBe(true);
    expect(routeNeedsKey('OPTIONS', '*', Object.assign(new SecurityConfig(), { cors_origins: ['https://a.example'] }))).toBe(false);
    expect(routeNeedsKey('GET', '*', Object.assign(new SecurityConfig(), { cors_origins: ['https://a.example'] }))).toBe(true);
  });
});
