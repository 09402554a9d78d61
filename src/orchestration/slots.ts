import { Release } from '../common/release';

/** A count of things in progress, each given back exactly once by its Release. */
export class Slots {
  private taken = 0;

  get inUse(): number {
    return this.taken;
  }

  take(): Release {
    this.taken++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.taken--;
      }
    };
  }
}
