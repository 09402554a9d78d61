import { ReplicaAffinity } from './replica-affinity';

describe('ReplicaAffinity', () => {
  it('remembers the holder of an id until its TTL, and forgets the oldest beyond its size', () => {
    let now = 0;
    const affinity = new ReplicaAffinity(2, 1000, () => now);
    affinity.remember('resp_a', 'http://r1');
    affinity.remember('resp_b', 'http://r2');
    expect(affinity.holder('resp_a')).toBe('http://r1');
    affinity.remember('resp_c', 'http://r1');
    // Bounded: the oldest went.
    expect(affinity.size).toBe(2);
    expect(affinity.holder('resp_a')).toBeUndefined();
    expect(affinity.holder('resp_b')).toBe('http://r2');
    now = 1000;
    expect(affinity.holder('resp_b')).toBeUndefined();
    expect(affinity.holder('nope')).toBeUndefined();
  });

  it('drops expired ids as new ones arrive', () => {
    let now = 0;
    const affinity = new ReplicaAffinity(100, 10, () => now);
    for (let i = 0; i < 50; i++) affinity.remember(`resp_${i}`, 'http://r1');
    now = 20;
    affinity.remember('resp_new', 'http://r2');
    expect(affinity.size).toBe(1);
  });
});
