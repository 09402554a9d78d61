import { ConfigValidationError, formatProblem } from './config-problem';

describe('formatProblem', () => {
  it('shows source, key, value and rule', () => {
    expect(formatProblem({ source: 'MIXTRAL_8X7B_PORT (environment)', key: 'service.port', value: 'abc', rule: 'must be a port' })).toBe(
      'MIXTRAL_8X7B_PORT (environment): service.port = "abc": must be a port',
    );
  });

  it('says (missing) for an absent value and shortens long ones', () => {
    expect(formatProblem({ source: 'f.yaml', key: 'realtime', value: undefined, rule: 'is required' })).toBe('f.yaml: realtime = (missing): is required');
    const long = formatProblem({ source: 'f', key: 'k', value: 'x'.repeat(200), rule: 'r' });
    expect(long).toMatch(/= "x{76}\.\.\.: r$/);
  });
});

describe('ConfigValidationError', () => {
  it('puts each problem on its own line under a count', () => {
    const error = new ConfigValidationError([
      { source: 'a', key: 'k1', value: 1, rule: 'r1' },
      { source: 'b', key: 'k2', value: null, rule: 'r2' },
    ]);
    expect(error.message).toBe('invalid configuration (2 problems):\n  a: k1 = 1: r1\n  b: k2 = null: r2');
    expect(error.name).toBe('ConfigValidationError');
    expect(new ConfigValidationError([{ source: 'a', key: 'k', value: 0, rule: 'r' }]).message).toMatch(/^invalid configuration \(1 problem\):/);
  });
});
