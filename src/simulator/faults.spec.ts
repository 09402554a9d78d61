import { DEFAULT_FAULTS, FaultState, faultProblems, parseFaultHeader } from './faults';

describe('parseFaultHeader', () => {
  it('understands every documented fault, alone or comma-separated', () => {
    expect(parseFaultHeader('error-429')).toEqual([{ kind: 'error', status: 429 }]);
    expect(parseFaultHeader('error-500')).toEqual([{ kind: 'error', status: 500 }]);
    expect(parseFaultHeader('ERROR-503')).toEqual([{ kind: 'error', status: 503 }]);
    expect(parseFaultHeader('hang')).toEqual([{ kind: 'hang' }]);
    expect(parseFaultHeader('hang-before-headers')).toEqual([{ kind: 'hang-before-headers' }]);
    expect(parseFaultHeader('fail-after-3')).toEqual([{ kind: 'fail', afterTokens: 3 }]);
    expect(parseFaultHeader('die-after-7')).toEqual([{ kind: 'die', afterTokens: 7 }]);
    expect(parseFaultHeader('stall-after-4')).toEqual([{ kind: 'stall', afterTokens: 4 }]);
    expect(parseFaultHeader('slow-250, die-after-2')).toEqual([
      { kind: 'slow', ms: 250 },
      { kind: 'die', afterTokens: 2 },
    ]);
  });

  it('refuses anything else', () => {
    for (const bad of ['error-404', 'die-after-', 'slow--1', 'explode', 'hang,boom']) {
      expect(parseFaultHeader(bad)).toBeNull();
    }
  });
});

describe('fault settings', () => {
  it('validates each field', () => {
    expect(faultProblems({})).toEqual([]);
    expect(faultProblems({ ...DEFAULT_FAULTS, errorRate: 1, errorStatus: 429 })).toEqual([]);
    expect(faultProblems({ errorRate: 2 })).toHaveLength(1);
    expect(faultProblems({ errorStatus: 404 })).toHaveLength(1);
    expect(faultProblems({ hang: 'yes' })).toHaveLength(1);
    expect(faultProblems({ dieAfterTokens: 1.5 })).toHaveLength(1);
    expect(faultProblems({ failAfterTokens: -1 })).toHaveLength(1);
    expect(faultProblems({ hangBeforeHeaders: 1 })).toHaveLength(1);
    expect(faultProblems({ slowStartSeconds: -1 })).toHaveLength(1);
    expect(faultProblems({ nope: 1 })).toHaveLength(1);
    expect(faultProblems([])).toHaveLength(1);
  });

  it('draws errors at the configured rate, deterministically for a seed', () => {
    const off = new FaultState(undefined, 1);
    expect(off.drawError()).toBeNull();
    const always = new FaultState({ errorRate: 1, errorStatus: 503 }, 1);
    expect(always.drawError()).toBe(503);
    const half = (seed: number) => {
      const f = new FaultState({ errorRate: 0.5 }, seed);
      return Array.from({ length: 400 }, () => f.drawError());
    };
    const draws = half(3);
    expect(half(3)).toEqual(draws);
    const errors = draws.filter((d) => d === 500).length;
    expect(errors).toBeGreaterThan(120);
    expect(errors).toBeLessThan(280);
  });

  it('starts the slow-start clock when the setting is given', () => {
    const f = new FaultState({ slowStartSeconds: 60 }, 0);
    expect(f.starting()).toBe(true);
    f.set({ slowStartSeconds: 0 });
    expect(f.starting()).toBe(false);
    expect(() => f.set({ errorRate: -1 })).toThrow(/errorRate/);
  });
});
