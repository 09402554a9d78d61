import { tuneHeapForServing } from './heap-tuning';

describe('tuneHeapForServing', () => {
  it('turns allocation-site pretenuring off when the command line says nothing of it', () => {
    expect(tuneHeapForServing(['--enable-source-maps'])).toBe(true);
  });

  it.each([['--allocation-site-pretenuring'], ['--no-allocation-site-pretenuring'], ['--no_allocation_site_pretenuring']])('leaves it as the command line sets it (%s)', (flag) => {
    expect(tuneHeapForServing(['--enable-source-maps', flag])).toBe(false);
  });
});
