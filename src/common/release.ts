/** Gives back what an admitted request held (a slot, a queue place); calling it twice is harmless. */
export type Release = () => void;
